#!/usr/bin/env bash
# Vigil's main job, end to end: installs what is missing, builds, and runs the demo: a real relay
# on loopback, and a defender and two trusted contacts using the `vigil` command line through it
# (Tools/demo-story.sh tells the story).
#
#   Tools/demo.sh               the end-to-end demo
#   Tools/demo.sh --in-memory   the in-memory demo (vigil-demo), which also shows what happens to
#                               a tampered, misdirected or forged envelope
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    "" | --in-memory) ;;
    *)
        echo "usage: Tools/demo.sh [--in-memory]" >&2
        exit 1
        ;;
esac

Tools/install-deps.sh

# One product per `swift build`: given several --product options, it builds only the last.
build() {
    swift build --product "$1" >&2 || { echo "demo: building $1 failed (the compiler's messages are above)" >&2; exit 1; }
}

if [ "${1:-}" = --in-memory ]; then
    build vigil-demo
    exec "$(swift build --show-bin-path)/vigil-demo"
fi
build vigil-relay
build vigil
exec Tools/demo-story.sh "$(swift build --show-bin-path)"
