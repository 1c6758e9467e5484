#!/usr/bin/env bash
# Regenerates the protocol test vectors in Protocol/vectors/ from the Swift implementation.
# Keys, message IDs and times are fixed, so only the sealed boxes (random by design) change;
# the generator checks every vector against the library before writing it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift run vigil-vectors Protocol/vectors
