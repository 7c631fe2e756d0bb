"""Training pipeline for deep3d models: data synthesis, the PyTorch network, export, training.

Modules (one concern each):
  paths      -- import-path bootstrap for the CLI scripts
  model      -- the `fcn` Deep3D family in PyTorch, tensor names as in docs/model-format.md
  selection  -- the differentiable selection layer (docs/model-format.md section 5)
  export     -- writing a model file (safetensors + metadata)
  textures   -- the texture pack (loading, mip atlas)
  synth      -- procedural stereo pairs rendered with tensor ops (CPU or GPU)
  sbs_reader -- training pairs from the user's own side-by-side / top-bottom 3D videos
  losses     -- training losses
  synth_batches -- each rank's share of a step's procedural pairs, a function of (seed, step, rank)
  manifest   -- the list of films to train on
  video_batches -- ffmpeg decoders into a bounded shuffled cache of film pairs; held-out film scores
  frame_filters -- letterbox bars, dark/flat frames, nearly-2D pairs
  real_val   -- validation on real pairs with ground truth (checkpoint choice)
  distributed -- torchrun process group and the collectives training needs
  checkpoint -- atomic checkpoints with every rank's random state, loadable across torch versions
  train      -- the training CLI (one process, or one per GPU under torchrun)
"""
