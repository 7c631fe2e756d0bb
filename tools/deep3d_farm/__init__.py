"""deep3d-farm: convert a film in segments on a Slurm cluster or on one machine with GNU parallel,
warm each segment's temporal state, and join the segments without re-encoding (docs/farm.md)."""
