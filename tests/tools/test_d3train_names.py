"""No module of tools/ or tools/d3train may be named like a standard library module.

A script's own folder is sys.path[0], so `python3 tools/d3train/train.py` made our former
`select.py` shadow the standard library's `select` (then `import subprocess` imported our file)
wherever `select` is an extension module rather than compiled into the interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest

import naive

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]

SCRIPT_DIRS = [naive.TOOLS_DIR, naive.TOOLS_DIR / "d3train"]

# Run a script the way `python3 SCRIPT` does (its folder first on sys.path), then report where
# every loaded module named like a standard library module came from.
PROBE = r"""
import json, os, runpy, sys
script = sys.argv[1]
sys.argv = [script, "--help"]
sys.path[0] = os.path.dirname(os.path.abspath(script))
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit:
    pass
std = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())
       if n.split(".")[0] in sys.stdlib_module_names}
print(json.dumps(std))
"""


class StdlibShadowTest(unittest.TestCase):
    def test_no_module_named_like_the_standard_library(self) -> None:
        clashes = []
        for d in SCRIPT_DIRS:
            for name in sorted(os.listdir(d)):
                stem = name[:-3] if name.endswith(".py") else name
                is_pkg = os.path.isfile(os.path.join(d, name, "__init__.py"))
                if (name.endswith(".py") or is_pkg) and stem in sys.stdlib_module_names:
                    clashes.append(os.path.join(d, name))
        self.assertEqual(clashes, [], "rename these: a script's folder is sys.path[0]")

    def test_detects_a_clash(self) -> None:
        # The check above would have caught the old tools/d3train/select.py.
        self.assertIn("select", sys.stdlib_module_names)
        self.assertIn("selectors", sys.stdlib_module_names)

    @unittest.skipIf(torch is None, "python3-torch not installed")
    def test_train_script_loads_only_the_real_stdlib(self) -> None:
        tools = str(naive.TOOLS_DIR)
        for script in ("d3train/train.py", "d3train/export.py", "d3train/sbs_reader.py", "d3train/bench_synth.py",
                       "d3train/manifest.py", "d3train/real_val.py"):
            with self.subTest(script=script):
                path = os.path.join(tools, script)
                r = subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                self.assertIn("usage:", r.stdout)
                loaded = json.loads(r.stdout.strip().splitlines()[-1])
                self.assertIn("subprocess", loaded)
                ours = {n: f for n, f in loaded.items() if f and os.path.abspath(f).startswith(tools + os.sep)}
                self.assertEqual(ours, {}, "standard library names resolved to our files")

    @unittest.skipIf(torch is None, "python3-torch not installed")
    def test_train_script_runs_as_a_script(self) -> None:
        r = subprocess.run([sys.executable, str(naive.TOOLS_DIR / "d3train" / "train.py"), "--help"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("--resume", r.stdout)


if __name__ == "__main__":
    unittest.main()
