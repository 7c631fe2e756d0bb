import sys

from deep3d_farm.cli import main

sys.exit(main(sys.argv[1:]))
