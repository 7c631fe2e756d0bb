#!/usr/bin/env bash
# Consistency of the repository itself: the configure lines the registration
# patch adds are exactly configure-snippet, and the patch only registers files.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
passed=0; failed=0
check() { if eval "$2"; then echo "ok - $1"; passed=$((passed+1)); else echo "not ok - $1"; failed=$((failed+1)); fi; }

added=$(awk '/^\+\+\+ b\/configure$/{on=1; next} /^diff /{on=0} on && /^\+/{print substr($0,2)}' \
        "$TOP"/patches/*.patch)
check "patch adds configure-snippet to configure, nothing else" \
      '[ "$added" = "$(cat "$TOP/configure-snippet")" ]'

for f in "$TOP"/patches/*.patch; do
    files=$(grep '^+++ b/' "$f" | sed 's|^+++ b/||' | sort | tr '\n' ' ')
    check "$(basename "$f") touches only the 4 registration files" \
          '[ "$files" = "configure libavfilter/Makefile libavfilter/allfilters.c tests/Makefile " ]'
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
