#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (release, with AddressSanitizer) and runs each for a
# while, one after another, starting from the committed seed corpus.
#
#   Tools/fuzz.sh [--grow] [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; 0 only replays the committed corpus. Targets default to
# all of them. New inputs go to a temporary corpus, so Fuzz/corpus/ does not change unless
# --grow is given: then the inputs that add coverage are merged into it. A crash, leak, timeout
# or broken invariant is saved as fuzz-artifacts/<target>/crash-… (or leak-…, timeout-…), and
# the script exits non-zero. Reproduce one with
#   SWIFT_BACKTRACE=enable=no Fuzz/.build/release/<target> fuzz-artifacts/<target>/crash-…
# The last line is always `fuzz: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(fuzz-envelope fuzz-card fuzz-bodies fuzz-relay-request fuzz-relay-response)
grow=false
seconds=60
targets=()
for argument in "$@"; do
    case "$argument" in
        --grow) grow=true ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        ''|*[!0-9]*)
            if [[ " ${all_targets[*]} " != *" $argument "* ]]; then
                echo "error: unknown fuzz target '$argument'; the targets are: ${all_targets[*]}" >&2
                exit 2
            fi
            targets+=("$argument") ;;
        *) seconds=$argument ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

# Longest input each target is given: the largest envelope, a head over the relay's 8 KiB limit.
max_len() {
    case "$1" in
        fuzz-envelope) echo 16500 ;;
        fuzz-relay-request) echo 9000 ;;
        fuzz-bodies) echo 4200 ;;
        *) echo 2048 ;;
    esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# SwiftPM's `--sanitize=fuzzer --sanitize=address` links both runtimes but passes the compiler
# only the last `-sanitize=`, which leaves the code without ASan and, linked like that, without
# working coverage feedback; the -Xswiftc flag names both for the compiler.
echo "== fuzz build (Fuzz/, release, libFuzzer + AddressSanitizer)"
build_start=$SECONDS
if ! swift build --package-path Fuzz -c release --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize=fuzzer,address >"$work/build.log" 2>&1; then
    grep -E "error:" "$work/build.log" | sort -u >&2 || tail -30 "$work/build.log" >&2
    echo "error: the fuzz targets do not build" >&2
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi
if grep -E "^$(pwd)/(Sources|Fuzz/Sources)/.*: warning:" "$work/build.log" >/dev/null; then
    echo "error: the fuzz build has compiler warnings in Vigil's own code:" >&2
    grep -E "^$(pwd)/(Sources|Fuzz/Sources)/.*: warning:" "$work/build.log" | sort -u >&2
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
fi
echo "built in $((SECONDS - build_start)) s"
bin=$(swift build --package-path Fuzz -c release --show-bin-path)

export SWIFT_BACKTRACE=enable=no
passed=0
failed=0
for target in "${targets[@]}"; do
    corpus=Fuzz/corpus/$target
    artifacts=fuzz-artifacts/$target
    mkdir -p "$artifacts" "$work/$target"
    log=$work/$target.log
    options=(-max_len="$(max_len "$target")" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
    if [[ $seconds -eq 0 ]]; then
        options+=(-runs=0)
        echo "== $target: replaying $corpus"
    else
        options+=(-max_total_time="$seconds")
        echo "== $target: ${seconds} s from $corpus"
    fi
    before=$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)
    status=0
    "$bin/$target" "${options[@]}" "$work/$target" "$corpus" >"$log" 2>&1 || status=$?
    after=$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    coverage=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\)\/.*/\1 edges, \2 features, corpus \3/p' <<<"$last")
    crashes=$((after - before))
    echo "$target: ${runs:-?} executions, ${rate:-?} exec/s, ${coverage:-coverage unknown}, $crashes crashes"
    if [[ $status -ne 0 || $crashes -ne 0 ]]; then
        failed=$((failed + 1))
        # What broke and where: the sanitizer's or Swift's message and the top of the stack.
        grep -E -A12 "^==[0-9]+==ERROR|Fatal error|fuzz invariant|^SUMMARY" "$log" | head -40 >&2 || tail -40 "$log" >&2
        echo "error: $target failed (exit $status); inputs saved in $artifacts/" >&2
    else
        passed=$((passed + 1))
    fi
    if $grow && [[ $seconds -ne 0 ]]; then
        "$bin/$target" -merge=1 -max_len="$(max_len "$target")" "$corpus" "$work/$target" >"$work/$target.merge.log" 2>&1 || true
        echo "$target: corpus now $(find "$corpus" -type f | wc -l) files"
    fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
