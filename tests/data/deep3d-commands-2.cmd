# deep3d FATE_HW: the command of deep3d-commands.cmd, to both instances of
# tests/fate/deep3d-cuda-psnr.sh (sendcmd sends each command to one target)
0.4 deep3d@ref strength 2.5, deep3d@ref convergence -3, deep3d@gpu strength 2.5, deep3d@gpu convergence -3;
