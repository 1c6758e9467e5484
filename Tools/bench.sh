#!/usr/bin/env bash
# The envelope benchmark: Swift Envelope seal/open against the same libsodium calls from C,
# built in release mode. Arguments go to vigil-bench (--seconds N, --rounds N, --json, --help).
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
swift build -c release --product vigil-bench >&2
exec "$(swift build -c release --show-bin-path)/vigil-bench" "$@"
