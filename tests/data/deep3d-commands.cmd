# deep3d FATE: strength and convergence changed while the clip runs (sendcmd)
0.4 deep3d strength 2.5, deep3d convergence -3;
