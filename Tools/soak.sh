#!/usr/bin/env bash
# The relay soak: vigil-relay (release build) for MINUTES (default 10) under a mixed load from
# several client processes, then the checks:
#   * every deposit answered 201 was fetched by its owner exactly once, byte for byte;
#   * every blob of every timer that fired was fetched by its owner exactly once; no blob of a
#     disarmed timer or of a replaced bundle was ever delivered;
#   * RSS flat after the warm-up (bounded growth and slope), open fds flat under load and back
#     to the idle count after it;
#   * the database after all acknowledgements (nothing pending, WAL gone after a clean stop,
#     integrity_check ok) and after a retention purge (no rows left).
# Prints a summary table; exits non-zero if any check fails.
#
# Load (Tools/soak-driver.py, Python 3 standard library + the system libsodium):
#   4 depositor processes, 40 deposits/s each (blobs of the envelope bucket sizes), 5% sent
#   twice as client retries; 4 owner processes with 2 mailboxes each, one thread per mailbox:
#   long-polls (wait 5-25 s), plain polls, small pages, occasional fetch from after=0, and an
#   acknowledgement of every page (a refusal is retried after its Retry-After; a quarter second
#   between rounds keeps each owner key inside the relay's nonce budget of 4096 per window).
#   A timer process (SOAK_TIMER_THREADS threads, 8) arms timers (bundles of 1-3 blobs to the
#   owners' mailboxes, deadline 5-20 s ahead), renews most before their deadline (30% of renewals
#   replace the bundle), disarms some and lets some fire; in the last 30 s of the load it only arms
#   and disarms (so everything it let fire has fired, and been fetched, before the owners drain). Checked:
#   every blob of every fired timer fetched by its owner exactly once; no blob of a disarmed
#   timer or of a replaced bundle ever delivered.
#
# Bounds: RSS may grow at most 16 MiB from the end of the warm-up to the end, with a
# least-squares slope of at most 1 MiB/min; the fd count may vary by at most 4 under load and
# must be back to the idle count after it; the WAL stays under 16 MiB.
#
# The relay's retention is at least one day and its sweep interval is not an option, so the
# purge is seen by restarting the relay once, after the load, under faketime (+15 days; the
# Debian package is installed if missing): its start-up sweep then purges everything.
#
# Everything runs on 127.0.0.1 and is stopped on exit; data goes to a temporary directory under
# .build/ (the repository's disk, so that fsync is real), removed on exit.
#
# Environment (all optional): SOAK_DEPOSITORS (4), SOAK_OWNERS (4), SOAK_RATE (deposits/s per
# depositor, 40), SOAK_TIMER_THREADS (8), SOAK_SAMPLE_SECONDS (5), SOAK_WARMUP_SECONDS (120, or a fifth of the run if
# shorter), SOAK_BIN (directory holding vigil-relay; default: build it in release mode),
# SOAK_KEEP=1 to keep the work directory.

# One compound command, read whole before it runs: editing this file during a run cannot
# change what the run does.
{
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-10}
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "usage: Tools/soak.sh [MINUTES]" >&2; exit 2; }
depositors=${SOAK_DEPOSITORS:-4}
owners=${SOAK_OWNERS:-4}
rate=${SOAK_RATE:-40}
timer_threads=${SOAK_TIMER_THREADS:-8}
sample_seconds=${SOAK_SAMPLE_SECONDS:-5}
seconds=$(python3 -c "print(int(float('$minutes') * 60))")
warmup=${SOAK_WARMUP_SECONDS:-$(( seconds / 5 < 120 ? seconds / 5 : 120 ))}
driver=Tools/soak-driver.py

say() { echo "== $*" >&2; }
fail() { echo "error: $*" >&2; exit 1; }

if [ -n "${SOAK_BIN:-}" ]; then
    bin=$SOAK_BIN
else
    say "building vigil-relay (release)"
    swift build -c release --product vigil-relay >&2
    bin=$(swift build -c release --show-bin-path)
fi
[ -x "$bin/vigil-relay" ] || fail "no vigil-relay in $bin"

if ! dpkg -s libfaketime >/dev/null 2>&1; then
    say "installing faketime (for the retention purge)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq faketime; } >/dev/null 2>&1 \
        || say "faketime could not be installed: the retention purge will not run"
fi

# --- processes this script starts, and their cleanup -----------------------------------------
mkdir -p .build
work=$(mktemp -d "$(pwd)/.build/soak.XXXXXX")
data=$work/data
pids=()
relay_pid=""
cleanup() {
    for pid in "${pids[@]}" $relay_pid; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${SOAK_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the relay (optionally under a command prefix such as faketime); sets relay_pid, url.
start_relay() {
    : >"$work/relay.out"
    "$@" "$bin/vigil-relay" serve --data-dir "$data" --host 127.0.0.1 --port 0 \
        --deposits-per-minute 100000000 --deposit-burst 100000000 \
        --creations-per-hour 100000 --creation-burst 1000 \
        --timers-per-hour 100000000 --max-timers 100000 --public-metrics --log-level "${log_level:-warning}" \
        >"$work/relay.out" 2>>"$work/relay.err" &
    relay_pid=$!
    for _ in $(seq 1 200); do
        if grep -q "listening on" "$work/relay.out"; then
            url=$(sed -n 's/^vigil-relay listening on //p' "$work/relay.out" | head -1)
            return 0
        fi
        kill -0 "$relay_pid" 2>/dev/null || fail "vigil-relay exited: $(cat "$work/relay.err")"
        sleep 0.05
    done
    fail "vigil-relay did not start listening"
}

# Stops the relay with SIGTERM; a non-zero exit is counted (stop_failures), not fatal, so that
# the figures are still reported.
stop_failures=0
stop_relay() {
    kill -TERM "$relay_pid"
    local status=0
    wait "$relay_pid" || status=$?
    relay_pid=""
    if [ "$status" != 0 ]; then
        say "vigil-relay exited $status on SIGTERM: $(tail -3 "$work/relay.err")"
        stop_failures=$((stop_failures + 1))
    fi
}

sample() { python3 "$driver" sample --pid "$relay_pid" --data-dir "$data" --phase "$1" >>"$work/samples.csv"; }

metric() {
    python3 - "$url" "$1" <<'EOF'
import sys, urllib.request
for line in urllib.request.urlopen(sys.argv[1] + "/metrics", timeout=10).read().decode().splitlines():
    if line.startswith(sys.argv[2] + " "):
        print(line.split()[1])
EOF
}

# --- run -------------------------------------------------------------------------------------
say "relay: $bin/vigil-relay, data in $data"
start_relay
python3 "$driver" setup --url "$url" --owners "$owners" --out "$work/state.json"
for _ in 1 2 3; do sample idle; sleep 1; done
idle_pages=$(python3 "$driver" pages "$data/relay.sqlite")

say "load: $depositors depositors x $rate/s, $owners owners x 2 mailboxes, ${timer_threads} timer threads, ${minutes} min (warm-up ${warmup} s)"
until=$(python3 -c "import time; print(time.time() + $seconds)")
for i in $(seq 1 "$depositors"); do
    python3 "$driver" deposit --url "$url" --state "$work/state.json" --until "$until" --rate "$rate" \
        --seed "$i" --log "$work/deposit-$i.jsonl" &
    pids+=($!)
done
python3 "$driver" timers --url "$url" --state "$work/state.json" --until "$until" --end "$(python3 -c "print($until - 30)")" \
    --threads "$timer_threads" --log "$work/timers.jsonl" &
pids+=($!)
owner_pids=()
for i in $(seq 0 $((owners - 1))); do
    python3 "$driver" owner --url "$url" --state "$work/state.json" --index "$i" --until "$until" \
        --log "$work/owner-$i.jsonl" &
    owner_pids+=($!)
    pids+=($!)
done
started=$(date +%s)
while python3 -c "import time, sys; sys.exit(0 if time.time() < $until else 1)"; do
    sample load
    elapsed=$(( $(date +%s) - started ))
    if (( elapsed % 60 < sample_seconds )); then
        say "$(( elapsed / 60 )) min: $(tail -1 "$work/samples.csv" | awk -F, '{printf "RSS %.1f MiB, %d fds, db %.1f MiB, wal %.1f MiB", $3/1024, $4, $5/1048576, $6/1048576}')"
    fi
    sleep "$sample_seconds"
done
say "load done; owners draining"
for pid in "${pids[@]}"; do wait "$pid" || fail "a load process failed (see $work)"; done
pids=()
sleep 3  # the clients' connections are closed; let the relay notice
for _ in 1 2 3; do sample after; sleep 1; done
metrics_blobs=$(metric vigil_relay_stored_blobs)
metrics_bytes=$(metric vigil_relay_stored_bytes)

say "stopping the relay (checkpoint) and reading the database"
stop_relay
acked_pages=$(python3 "$driver" pages "$data/relay.sqlite")

purged_pages=null
purge_note="\"faketime is not installed\""
libfaketime=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1 || true)
if [ -n "$libfaketime" ]; then
    say "restarting the relay 15 days later (libfaketime) so that its start-up sweep purges everything"
    # Only the wall clock moves; NIO's timers keep the real monotonic clock. Started through
    # `timeout --foreground`, which passes SIGTERM on to the relay alone and exits with its
    # status: exec'd straight under the preload (by env or exec) the relay sees no arguments.
    # At debug level the sweep logs when it is done.
    log_level=debug start_relay env LD_PRELOAD="$libfaketime" FAKETIME="+15d" FAKETIME_DONT_FAKE_MONOTONIC=1 \
        timeout --foreground 1h
    for _ in $(seq 1 600); do
        grep -q "retention sweep" "$work/relay.err" && break
        sleep 0.1
    done
    grep -q "retention sweep" "$work/relay.err" || say "the start-up sweep did not report within 60 s"
    stop_relay
    purged_pages=$(python3 "$driver" pages "$data/relay.sqlite")
    purge_note=null
fi
cat >"$work/db.json" <<EOF
{"idle": $idle_pages, "acked": $acked_pages, "purged": $purged_pages,
 "metrics_blobs": ${metrics_blobs:-null}, "metrics_bytes": ${metrics_bytes:-null}, "purge_note": $purge_note,
 "relay_errors": $(grep -ciE "error|critical" "$work/relay.err" || true), "stop_failures": $stop_failures}
EOF
if grep -qiE "error|critical" "$work/relay.err"; then
    say "the relay logged errors:"; grep -iE "error|critical" "$work/relay.err" | head -5 >&2
fi

python3 "$driver" verify --work "$work" --minutes "$minutes" --warmup "$warmup"
exit
}
