#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds everything (failing on any compiler
# warning in Vigil's own code), and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== build (debug, with tests)"
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$log" >/dev/null; then
    echo "error: the build has compiler warnings in Vigil's own code:" >&2
    grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$log" | sort -u >&2
    exit 1
fi

echo "== tests"
swift test --skip-build "$@"

# Every fuzz target is built and run for a few seconds, so that they keep building and the
# committed corpus keeps passing; Tools/fuzz.sh runs them for longer. Its last line is
# `fuzz: N passed, M failed`. VIGIL_FUZZ_SECONDS=0 only replays the corpus.
echo "== fuzz"
Tools/fuzz.sh "${VIGIL_FUZZ_SECONDS:-5}"
