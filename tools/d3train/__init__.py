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
  train      -- the training CLI
"""
