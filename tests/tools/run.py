#!/usr/bin/python3
"""Discover and run tests/tools/test_*.py; last line is exactly "N passed, M failed".

Usage: /usr/bin/python3 tests/tools/run.py [-v] [PATTERN]
PATTERN is a file glob (default test_*.py). Exits non-zero on any failure or error,
or when no test ran.
"""

from __future__ import annotations

import pathlib
import sys
import time
import unittest

HERE = pathlib.Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    rest = [a for a in argv if a != "-v"]
    pattern = rest[0] if rest else "test_*.py"
    sys.path.insert(0, str(HERE))
    suite = unittest.defaultTestLoader.discover(str(HERE), pattern=pattern, top_level_dir=str(HERE))
    start = time.monotonic()
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2 if verbose else 1).run(suite)
    elapsed = time.monotonic() - start
    # A test with several failing subTests is still one failed test.
    bad: dict[str, None] = {}
    for t in [t for t, _ in result.failures + result.errors] + list(result.unexpectedSuccesses):
        bad[getattr(t, "test_case", t).id()] = None
    failed = len(bad)
    passed = max(0, result.testsRun - failed - len(result.skipped) - len(result.expectedFailures))
    for name in bad:
        print(f"not ok {name}")
    print(f"tools tests: {elapsed:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
