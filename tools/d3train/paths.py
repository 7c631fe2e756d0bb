"""Put tools/ on sys.path so `import d3train.x`, `deep3d_ref` and `safetensors_io` work from any cwd."""

from __future__ import annotations

import pathlib
import sys

TOOLS_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parents[1]
REPO_DIR: pathlib.Path = TOOLS_DIR.parent


def setup() -> None:
    if str(TOOLS_DIR) not in sys.path:
        sys.path.insert(0, str(TOOLS_DIR))


setup()
