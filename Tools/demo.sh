#!/usr/bin/env bash
# Vigil's main job, end to end: installs what is missing, builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
swift build --product vigil-demo >&2
exec "$(swift build --show-bin-path)/vigil-demo" "$@"
