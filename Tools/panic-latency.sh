#!/usr/bin/env bash
# The panic latency figure: the time from starting `vigil panic` to all three trusted contacts'
# `vigil watch --json` having printed that alert, through a real vigil-relay on 127.0.0.1,
# measured N times (min / median / p90 / max), against the target of 300 ms.
#
# Release binaries; one relay on a free port; a defender and three contacts, cards exchanged
# and verified; three watchers; then Tools/panic_latency.py runs the panics and reads the
# watchers' output with monotonic timestamps. The pieces of the sending side (process start,
# keystore unlock) are timed on their own to show where the time goes.
#
# The passphrase KDF: every `vigil` command, `panic` included, derives the keystore key from the
# passphrase (Argon2id) before it can sign, so the KDF cost is on the measured path. The figure
# is therefore taken twice: for a defender whose keystore uses the default cost (what people
# get) and for one with VIGIL_KDF=minimum (test-only, insecure), which isolates everything else.
# The contacts use VIGIL_KDF=minimum to set up quickly: their watch unlocks once, when it
# starts, before any measurement, so their KDF is not on the measured path.
#
# Environment (optional): PANIC_LATENCY_RUNS (10), PANIC_LATENCY_DIR (parent of the temporary
# directory, default .build: the repository's disk, so that fsync is real),
# PANIC_LATENCY_KEEP=1 keeps the directory and logs.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${PANIC_LATENCY_RUNS:-10}
say() { echo "== $*" >&2; }
fail() { echo "error: $*" >&2; exit 1; }

Tools/install-deps.sh
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to read the watchers' output"

say "building vigil and vigil-relay (release)"
# One product per invocation: with several --product options SwiftPM builds only the last.
swift build -c release --product vigil >&2
swift build -c release --product vigil-relay >&2
bin=$(swift build -c release --show-bin-path)

# --- processes this script starts, and their cleanup -------------------------------------
parent=${PANIC_LATENCY_DIR:-.build}
mkdir -p "$parent"
work=$(mktemp -d "$(cd "$parent" && pwd)/panic-latency.XXXXXX")
pids=()
cleanup() {
    local pid
    # The watchers are the Python helper's; it stops them, but not if it was killed.
    if [ -f "$work/watchers.pid" ]; then
        while read -r pid; do pids+=("$pid"); done <"$work/watchers.pid"
    fi
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${PANIC_LATENCY_KEEP:-0}" = 1 ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the relay ------------------------------------------------------------------------------
say "starting vigil-relay"
VIGIL_RELAY_LOG_LEVEL=warning "$bin/vigil-relay" serve --data-dir "$work/relay" --host 127.0.0.1 --port 0 \
    >"$work/relay.out" 2>"$work/relay.log" &
pids+=($!)
for _ in $(seq 300); do
    grep -q "listening on" "$work/relay.out" 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || fail "vigil-relay did not start: $(cat "$work/relay.log")"
    sleep 0.05
done
url=$(grep -o 'http://[^ ]*' "$work/relay.out" | head -n1)
[ -n "$url" ] || fail "vigil-relay did not report its address"

# --- people ---------------------------------------------------------------------------------
passphrase="a passphrase for the latency measurement"
vigil() {  # vigil HOME [KDF] ARGS…: one command in one home
    local home=$1 kdf=$2
    shift 2
    env -i PATH=/usr/bin:/bin HOME="$home" VIGIL_HOME="$home" VIGIL_PASSPHRASE="$passphrase" ${kdf:+VIGIL_KDF=$kdf} \
        "$bin/vigil" "$@"
}
card() { vigil "$1" "" card --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["card"])'; }

say "setting up two defenders (default and minimum KDF) and three contacts"
vigil "$work/defender-default" "" init --name "Defender (default KDF)" --relay "$url" >/dev/null
vigil "$work/defender-minimum" minimum init --name "Defender (minimum KDF)" --relay "$url" >/dev/null
contacts=(contact-1 contact-2 contact-3)
for contact in "${contacts[@]}"; do
    vigil "$work/$contact" minimum init --name "$contact" --relay "$url" >/dev/null
done
for defender in defender-default defender-minimum; do
    for contact in "${contacts[@]}"; do
        vigil "$work/$defender" "" contacts add "$(card "$work/$contact")" --alias "$contact" >/dev/null
        vigil "$work/$contact" "" contacts add "$(card "$work/$defender")" --alias "$defender" >/dev/null
        vigil "$work/$defender" "" contacts verify "$contact" --yes >/dev/null
        vigil "$work/$contact" "" contacts verify "$defender" --yes >/dev/null
    done
done

# --- the measurement ----------------------------------------------------------------------
say "measuring: $runs panics per defender, three watchers"
cat <<EOF
KDF: the keystore of "default KDF" uses Vigil's default Argon2id cost (3 passes, 128 MiB), as a
real defender's does; every \`vigil panic\` derives its key from the passphrase, so that cost is
inside the figure. "minimum KDF" uses VIGIL_KDF=minimum (test-only, insecure) to show everything
else on the path. The contacts were set up with the minimum KDF too; that changes nothing
measured, because a watch unlocks its keystore once, when it starts, before the first panic.
EOF
python3 Tools/panic_latency.py --vigil "$bin/vigil" --work "$work" --passphrase "$passphrase" --runs "$runs" \
    --defender "default KDF=$work/defender-default" --defender "minimum KDF=$work/defender-minimum" \
    --contact "$work/contact-1" --contact "$work/contact-2" --contact "$work/contact-3"
