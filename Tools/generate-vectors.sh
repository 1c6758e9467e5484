#!/usr/bin/env bash
# Regenerates the protocol test vectors in Protocol/vectors/ from the Swift implementation.
# Keys, message IDs and times are fixed, and a vector whose plaintext is unchanged keeps its
# sealed box (random by design), so only what changed changes;
# the generator checks every vector against the library before writing it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift run vigil-vectors Protocol/vectors
