#!/usr/bin/env bash
# test_multi runs the two tiny committed models.
exec "$1" "$(dirname "$0")/../data"
