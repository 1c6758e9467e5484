#!/usr/bin/env bash
# The relay benchmark: vigil-relay deposits and fetch+acknowledge at 64 connections, side by side
# in the same run with Redis (appendfsync always, LPUSH of the same size) and nginx answering
# 204 to the same POSTs (this machine's HTTP ceiling), then one table with the ratios and the
# target: relay deposits >= 0.5 x redis-always at p99 < 10 ms.
#
# Everything runs on 127.0.0.1 and is stopped on exit; data goes to a temporary directory under
# .build/ (the repository's disk, so that fsync is real), removed on exit.
#
# Environment (all optional): RELAY_BENCH_SECONDS (10), RELAY_BENCH_WARMUP (2),
# RELAY_BENCH_CONNECTIONS (64),
# RELAY_BENCH_THREADS (load-generator threads, 1), RELAY_BENCH_DIR (parent of the data
# directory, default .build), RELAY_BENCH_KEEP=1 to keep the data directory and logs.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${RELAY_BENCH_SECONDS:-10}
warmup=${RELAY_BENCH_WARMUP:-2}
connections=${RELAY_BENCH_CONNECTIONS:-64}
threads=${RELAY_BENCH_THREADS:-1}
sizes=(4144 1072)  # sealed envelopes of the 4096 bucket (a 1 KiB body) and of the 1024 bucket

say() { echo "== $*" >&2; }
fail() { echo "error: $*" >&2; exit 1; }

# --- what is needed ----------------------------------------------------------------------
Tools/install-deps.sh
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    # The packages may start system services; this benchmark runs its own instances on other
    # ports and never uses those, so stop what the installation just started.
    for package in "${missing[@]}"; do
        case $package in
            nginx | redis-server) $sudo service "$package" stop >/dev/null 2>&1 || true ;;
        esac
    done
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

say "building vigil-relay and vigil-relay-bench (release)"
swift build -c release --product vigil-relay >&2
swift build -c release --product vigil-relay-bench >&2
bin=$(swift build -c release --show-bin-path)

# --- processes this script starts, and their cleanup -------------------------------------
parent=${RELAY_BENCH_DIR:-.build}
mkdir -p "$parent"
work=$(mktemp -d "$(cd "$parent" && pwd)/relay-bench.XXXXXX")
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        # Bounded: a process that ignores TERM for 10 s is killed.
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${RELAY_BENCH_KEEP:-0}" = 1 ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() {  # stop PID: the same as cleanup, for one process started earlier
    local pid=$1 kept=()
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    pids=("${kept[@]+"${kept[@]}"}")
}

free_port() {  # a loopback port nothing listens on
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "found no free loopback port"
}

wait_for_port() {  # wait_for_port PORT PID NAME LOG
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { cat "$4" >&2; fail "$3 exited at start"; }
        sleep 0.1
    done
    fail "$3 did not listen on 127.0.0.1:$1 within 30 s"
}

fstype=$(df --output=fstype "$work" | tail -n 1)
[ "$fstype" != tmpfs ] || fail "$work is on tmpfs, where fsync costs nothing; set RELAY_BENCH_DIR to a directory on a disk"
say "data in $work ($fstype on $(df --output=source "$work" | tail -n 1)); $(nproc) CPUs; $connections connections; ${warmup} s warm-up + ${seconds} s"

bench_timeout=$(awk -v s="$seconds" -v w="$warmup" 'BEGIN { printf "%d", s + w + 60 }')
generator() {  # generator EXTRA-SECONDS MODE ARGS...: one JSON report on stdout, bounded in time
    local extra=$1
    shift
    timeout --kill-after=10 "$((bench_timeout + extra))" "$bin/vigil-relay-bench" "$@" \
        --connections "$connections" --seconds "$seconds" --warmup "$warmup" --threads "$threads" --json
}

# CPU accounting from /proc, so that the table can say how much else was running: on a small
# machine shared with other work, "others" above a few tenths of a CPU makes a run incomparable.
clock_ticks=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
pid_ticks() { { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null || true; } | awk '{ t += $12 + $13 } END { print t + 0 }'; }
# Kernel threads (children of kthreadd): journal commits and writeback after fsync land there.
kernel_ticks() { { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/.*) //' | awk '$2 == 2 { t += $12 + $13 } END { print t + 0 }'; }

# --- vigil-relay ---------------------------------------------------------------------------
relay_pid=""
relay_url=""
start_relay() {  # a fresh relay with a fresh database, rate limits and quotas out of the way
    local name=$1
    mkdir -p "$work/$name"
    "$bin/vigil-relay" serve --data-dir "$work/$name/data" --host 127.0.0.1 --port 0 \
        --deposits-per-minute 100000000 --deposit-burst 100000000 \
        --creations-per-hour 100000000 --creation-burst 100000000 \
        --mailbox-max-blobs 1000000 --mailbox-max-bytes 1099511627776 \
        --log-level warning >"$work/$name/out" 2>"$work/$name/err" &
    relay_pid=$!
    pids+=("$relay_pid")
    for _ in $(seq 300); do
        relay_url=$(sed -n 's/^vigil-relay listening on \(http:[^ ]*\)$/\1/p' "$work/$name/out" 2>/dev/null || true)
        [ -z "$relay_url" ] || return 0
        kill -0 "$relay_pid" 2>/dev/null || { cat "$work/$name/err" >&2; fail "vigil-relay exited at start"; }
        sleep 0.1
    done
    fail "vigil-relay did not start listening within 30 s"
}

for size in "${sizes[@]}"; do
    say "relay deposit, $size-byte blobs"
    start_relay "deposit-$size"
    generator 30 deposit --url "$relay_url" --blob-bytes "$size" --server-pid "$relay_pid" >"$work/relay-deposit-$size.json"
    jq -r '"   \(.requests_per_second|floor) deposits/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, errors \(.errors)"' "$work/relay-deposit-$size.json" >&2
    stop "$relay_pid"
done

# The same deposits spread over 16 mailboxes per connection: each mailbox then holds 16 times
# fewer pending blobs, which shows how much a deposit's cost depends on its mailbox's backlog.
say "relay deposit, ${sizes[0]}-byte blobs, 16 mailboxes per connection"
start_relay deposit-spread
generator 30 deposit --url "$relay_url" --blob-bytes "${sizes[0]}" --mailboxes-per-connection 16 \
    --server-pid "$relay_pid" >"$work/relay-deposit-spread.json"
jq -r '"   \(.requests_per_second|floor) deposits/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, errors \(.errors)"' "$work/relay-deposit-spread.json" >&2
stop "$relay_pid"

say "relay fetch+ack, ${sizes[0]}-byte blobs (mailboxes prefilled first)"
start_relay fetch-ack
generator 900 fetch-ack --url "$relay_url" --blob-bytes "${sizes[0]}" --server-pid "$relay_pid" >"$work/relay-fetch-ack.json"
jq -r '"   \(.messages_per_second|floor) messages/s in \(.requests_per_second|floor) requests/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, errors \(.errors)"' "$work/relay-fetch-ack.json" >&2
stop "$relay_pid"

# --- Redis, appendfsync always ---------------------------------------------------------------
for size in "${sizes[@]}"; do
    say "redis LPUSH, appendfsync always, $size-byte values"
    dir="$work/redis-$size"
    mkdir -p "$dir"
    port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes --appendfsync always \
        --save '' --daemonize no --logfile "$dir/log" &
    redis_pid=$!
    pids+=("$redis_pid")
    wait_for_port "$port" "$redis_pid" redis-server "$dir/log"
    # A short run sizes the real one to about the same seconds as the relay's.
    rps=$(timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -c "$connections" -d "$size" -t lpush -n 20000 --csv |
        awk -F'","' '$1 == "\"LPUSH" { print $2 }')
    total=$(awk -v r="$rps" -v s="$seconds" 'BEGIN { n = int(r * s); if (n < 20000) n = 20000; if (n > 5000000) n = 5000000; print n }')
    started=$(date +%s.%N)
    machine_before=$(machine_ticks)
    server_before=$(pid_ticks "$redis_pid")
    kernel_before=$(kernel_ticks)
    TIMEFORMAT='%3U %3S'
    { time timeout $((bench_timeout * 3)) redis-benchmark -h 127.0.0.1 -p "$port" -c "$connections" -d "$size" -t lpush \
        -n "$total" --csv >"$dir/csv"; } 2>"$dir/time"
    awk -F'","' -v n="$total" -v start="$started" -v end="$(date +%s.%N)" -v tck="$clock_ticks" \
        -v machine="$(($(machine_ticks) - machine_before))" -v server="$(($(pid_ticks "$redis_pid") - server_before))" \
        -v kernel="$(($(kernel_ticks) - kernel_before))" -v generator="$(awk '{ print $1 + $2 }' "$dir/time")" '
        $1 == "\"LPUSH" {
            s = end - start; m = machine / tck / s; sv = server / tck / s; k = kernel / tck / s; g = generator / s
            o = m - sv - g - k
            printf "{\"requests\": %d, \"seconds\": %.2f, \"requests_per_second\": %s, \"latency_ms\": {\"p50\": %s, \"p99\": %s}, ", n, s, $2, $5, $7
            printf "\"cpu\": {\"machine\": %.2f, \"server\": %.2f, \"generator\": %.2f, \"kernel\": %.2f, \"others\": %.2f}}\n", m, sv, g, k, (o > 0 ? o : 0)
        }' "$dir/csv" >"$work/redis-$size.json"
    [ -s "$work/redis-$size.json" ] || fail "redis-benchmark printed no LPUSH figures"
    jq -r '"   \(.requests_per_second|floor) LPUSH/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms"' "$work/redis-$size.json" >&2
    stop "$redis_pid"
done

# --- nginx answering 204 -----------------------------------------------------------------
say "nginx 204 to the same POSTs"
dir="$work/nginx"
mkdir -p "$dir"
port=$(free_port)
cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    client_body_buffer_size 64k;
    client_max_body_size 1m;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$port;
        location / { return 204; }
    }
}
EOF
"$nginx_bin" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/stderr" &
nginx_pid=$!
pids+=("$nginx_pid")
wait_for_port "$port" "$nginx_pid" nginx "$dir/stderr"
workers=()
for pid in $(pgrep -P "$nginx_pid"); do workers+=(--server-pid "$pid"); done
for size in "${sizes[@]}"; do
    generator 30 post --url "http://127.0.0.1:$port/v1/mailboxes/bench/messages" --blob-bytes "$size" \
        --server-pid "$nginx_pid" "${workers[@]}" >"$work/nginx-$size.json"
    jq -r '"   '"$size"' bytes: \(.requests_per_second|floor) requests/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, errors \(.errors)"' "$work/nginx-$size.json" >&2
done
stop "$nginx_pid"

# --- the table -------------------------------------------------------------------------------
figure() { jq -r "$2" "$work/$1.json"; }
format='%-42s %15s %8s %8s %8s %8s\n'
cpus() { figure "$1" ".cpu.$2 // \"?\" | if type == \"number\" then (. * 100 | round / 100) else . end"; }
row() {  # row LABEL FILE [messages]
    local rate
    if [ "${3:-}" = messages ]; then
        rate="$(figure "$2" '.messages_per_second | floor') msg/s"
    else
        rate="$(figure "$2" '.requests_per_second | floor') req/s"
    fi
    printf "$format" "$1" "$rate" "$(figure "$2" '.latency_ms.p50 * 100 | round / 100')" \
        "$(figure "$2" '.latency_ms.p99 * 100 | round / 100')" "$(cpus "$2" server)" "$(cpus "$2" others)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo
echo "vigil-relay benchmark: $connections connections, ${seconds} s after ${warmup} s warm-up, $(nproc) CPUs, data on $fstype"
printf "$format" "" "throughput" "p50 ms" "p99 ms" "server" "others"
for size in "${sizes[@]}"; do row "relay deposit, $size B" "relay-deposit-$size"; done
row "relay deposit, ${sizes[0]} B, 16 mailboxes/conn" relay-deposit-spread
row "relay fetch+ack, ${sizes[0]} B, per message" relay-fetch-ack messages
row "  its requests (fetch <=100, ack)" relay-fetch-ack
for size in "${sizes[@]}"; do row "redis LPUSH appendfsync always, $size B" "redis-$size"; done
for size in "${sizes[@]}"; do row "nginx 204 to the same POST, $size B" "nginx-$size"; done
echo "(server: CPUs the server used; others: CPUs other programs used meanwhile (not the server, the"
echo " load generator or kernel threads): more than a few tenths means other work skewed that row)"
echo
met=yes
for size in "${sizes[@]}"; do
    relay=$(figure "relay-deposit-$size" '.requests_per_second')
    p99=$(figure "relay-deposit-$size" '.latency_ms.p99')
    to_redis=$(ratio "$relay" "$(figure "redis-$size" '.requests_per_second')")
    to_nginx=$(ratio "$relay" "$(figure "nginx-$size" '.requests_per_second')")
    ok=$(awk -v r="$to_redis" -v p="$p99" 'BEGIN { print (r >= 0.5 && p < 10) ? "met" : "NOT met" }')
    echo "$size B: relay deposit / redis-always = ${to_redis}x, relay deposit / nginx 204 = ${to_nginx}x; target (>= 0.5x redis at p99 < 10 ms): $ok (p99 $(awk -v p="$p99" 'BEGIN { printf "%.2f", p }') ms)"
    [ "$ok" = met ] || met=no
done
echo "target met for every size: $met"
