#!/usr/bin/env bash
# The story behind Tools/demo.sh: a real vigil-relay on loopback with a temporary data directory,
# a defender (Amal) and two trusted contacts (Jonas, Sofia), each with their own Vigil home,
# talking through it with the real `vigil` command line.
#
# Usage: Tools/demo-story.sh BIN-DIR   (the directory holding the built `vigil` and `vigil-relay`)
# Everything lives in one temporary directory; every process started here is stopped and the
# directory removed on any exit. Any step that fails stops the demo with a message, exit 1.
set -euo pipefail

bin=${1:?usage: Tools/demo-story.sh BIN-DIR (e.g. .build/debug)}
vigil=$bin/vigil
relay=$bin/vigil-relay
for program in "$vigil" "$relay"; do
    [ -x "$program" ] || { echo "demo: $program is missing: build it first (Tools/demo.sh does)" >&2; exit 1; }
done
command -v python3 >/dev/null 2>&1 || { echo "demo: python3 is needed to read vigil's --json output" >&2; exit 1; }

# Nothing from the caller's environment may change what the demo does: no passphrase, cost, clock
# or home of theirs, and no proxy between the clients and the loopback relay.
unset VIGIL_HOME VIGIL_PASSPHRASE VIGIL_KDF VIGIL_NOW VIGIL_GRACE
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY

# ── Temporary directory, background processes, cleanup ───────────────────────────────────────
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo.XXXXXX")
relay_pid=""
watch_pids=()

stop_process() {  # stop_process PID: SIGTERM, then SIGKILL after 5 s; returns its exit code
    local pid=$1 waited=0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    local code=0
    wait "$pid" 2>/dev/null || code=$?
    return $code
}

cleanup() {
    local pid
    for pid in "${watch_pids[@]}" $relay_pid; do
        stop_process "$pid" || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT TERM

# ── Printing ─────────────────────────────────────────────────────────────────────────────────
section() { printf '\n── %s %s\n' "$1" "$(printf '─%.0s' $(seq 1 $((66 - ${#1}))))"; }
say() { printf '  %s\n' "$*"; }
indent() { sed -e 's/^/      /'; }
# Cards are ~400 characters: show their start and end only.
shorten_cards() { sed -E 's/(VIGIL1:[0-9A-Z]{20})[0-9A-Z]+([0-9A-Z]{8})/\1…\2/g'; }

# A command as its user would type it (quotes only where needed).
shown() {
    local who=$1 line="" arg
    shift
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_./:,=+@%-]+$ ]]; then line+=" $arg"
        elif [[ $arg != *"'"* ]]; then line+=" '$arg'"
        else line+=" \"$arg\""; fi
    done
    printf '  %s$%s\n' "$who" "$line" | shorten_cards
}

fail() {
    echo >&2
    echo "demo: FAILED: $*" >&2
    exit 1
}

# ── Running vigil as one of the three ────────────────────────────────────────────────────────
# Each person has a home (VIGIL_HOME) and a passphrase file; `as_quiet` runs a command silently
# (for --json the script reads), `as` shows the command and its output.
as_quiet() {
    local who=$1
    shift
    VIGIL_HOME=$work/$who timeout --foreground 60 "$vigil" "$@" --passphrase-file "$work/$who.passphrase" </dev/null
}

as() {
    local who=$1 output code=0
    shift
    shown "$who" vigil "$@"
    output=$(as_quiet "$who" "$@" 2>&1) || code=$?
    printf '%s\n' "$output" | shorten_cards | indent
    [ $code -eq 0 ] || fail "\`vigil $1\` as $who exited with code $code (see its output above)"
    last_output=$output
}

# inbox_until WHO TEXT: runs WHO's `vigil inbox` every half second until its output holds TEXT
# (20 s at most), then shows that output; fails when it never does.
inbox_until() {
    local who=$1 text=$2 output=""
    for _ in $(seq 1 40); do
        output=$(as_quiet "$who" inbox 2>&1) || true
        grep -q -- "$text" <<<"$output" && break
        sleep 0.5
    done
    grep -q -- "$text" <<<"$output" || return 1
    shown "$who" vigil inbox
    printf '%s\n' "$output" | indent
}

# json EXPRESSION: evaluates a Python expression over the JSON document on standard input (`d`).
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# wait_for FILE TEXT SECONDS: waits until FILE contains TEXT.
wait_for() {
    local file=$1 text=$2 limit=$(($3 * 10)) waited=0
    until grep -qF -- "$text" "$file" 2>/dev/null; do
        [ $waited -lt $limit ] || return 1
        sleep 0.1
        waited=$((waited + 1))
    done
}

start=$(date +%s)
echo "Vigil demo: a defender and two trusted contacts, end to end encrypted, through a real relay."
echo "Everything runs on this machine, on loopback, in $work (removed at the end)."

# ── 1 ─────────────────────────────────────────────────────────────────────────────────────────
section "1. A relay starts on loopback"
say "The relay is the mailbox in the middle. Here it runs on 127.0.0.1 with an empty data"
say "directory; in real use it runs on a server, behind TLS or as a Tor onion service."
shown relay vigil-relay serve --data-dir "$work/relay" --host 127.0.0.1 --port 0
"$relay" serve --data-dir "$work/relay" --host 127.0.0.1 --port 0 >"$work/relay.out" 2>"$work/relay.log" &
relay_pid=$!
waited=0
until grep -q '^vigil-relay listening on ' "$work/relay.out" 2>/dev/null; do
    if ! kill -0 "$relay_pid" 2>/dev/null; then
        cat "$work/relay.log" >&2
        fail "vigil-relay exited before it was listening (its log is above)"
    fi
    [ $waited -lt 300 ] || fail "vigil-relay did not report its address within 30 s"
    sleep 0.1
    waited=$((waited + 1))
done
indent <"$work/relay.out"
relay_url=$(sed -n 's/^vigil-relay listening on //p' "$work/relay.out" | head -n 1)

# ── 2 ─────────────────────────────────────────────────────────────────────────────────────────
section "2. Amal, Jonas and Sofia each set up Vigil"
say "Amal is the defender; Jonas and Sofia are her trusted contacts. Each has their own Vigil"
say "home (VIGIL_HOME) and a mailbox on the relay. Each protects their keys with a real"
say "passphrase (a random one here, in a file only they can read, given with --passphrase-file"
say "because a script cannot type it) at Vigil's DEFAULT key-derivation cost: Argon2id, 128 MiB,"
say "3 passes, the same as in real use, so every command below spends ~0.3 s unlocking the keys."
say "(The commands are shown as each person types them; the script adds --passphrase-file.)"
echo
for who in amal jonas sofia; do
    (umask 077 && head -c 18 /dev/urandom | base64 >"$work/$who.passphrase")
done
as amal init --name Amal --relay "$relay_url"
echo
as jonas init --name Jonas --relay "$relay_url"
echo
as sofia init --name Sofia --relay "$relay_url"

# ── 3 ─────────────────────────────────────────────────────────────────────────────────────────
section "3. They exchange contact cards"
say "A card holds a name, public keys and mailbox addresses: nothing secret, so it can travel"
say "over any channel they already use (a message, e-mail, a QR code, paper). Anyone on that"
say "channel could swap it for their own, though: step 4 rules that out."
card_of() { as_quiet "$1" card --json | json 'd["card"]'; }
amal_card=$(card_of amal) || fail "could not read Amal's card"
jonas_card=$(card_of jonas) || fail "could not read Jonas's card"
sofia_card=$(card_of sofia) || fail "could not read Sofia's card"
say "Amal's card as she sends it (${#amal_card} characters, shortened here):"
printf '%s\n' "$amal_card" | shorten_cards | indent
echo
say "Amal adds her contacts' cards; each of them adds hers:"
as amal contacts add "$jonas_card" --alias jonas
as amal contacts add "$sofia_card" --alias sofia
as jonas contacts add "$amal_card" --alias amal
as sofia contacts add "$amal_card" --alias amal

# ── 4 ─────────────────────────────────────────────────────────────────────────────────────────
section "4. They compare safety numbers and verify each other"
safety_number() { as_quiet "$1" contacts show "$2" --json | json 'd["safety_number"]'; }
for pair in jonas:Jonas sofia:Sofia; do
    who=${pair%%:*} name=${pair#*:}
    say "Amal calls $name. Each opens the other's contact and reads the safety number aloud:"
    as amal contacts show "$who"
    as "$who" contacts show amal
    at_amal=$(safety_number amal "$who") || fail "could not read Amal's safety number for $name"
    at_other=$(safety_number "$who" amal) || fail "could not read $name's safety number for Amal"
    if [ "$at_amal" != "$at_other" ]; then
        fail "the safety numbers differ (Amal sees $at_amal, $name sees $at_other)"
    fi
    say "Amal's screen: $at_amal"
    say "$name's screen: $at_other"
    say "Every digit matches: each holds the other's real keys. Both confirm (--yes: already compared):"
    as amal contacts verify "$who" --yes
    as "$who" contacts verify amal --yes
    echo
done
as amal contacts list

# ── 5 ─────────────────────────────────────────────────────────────────────────────────────────
section "5. Amal checks in"
say "She is fine, and says when her next check-in is due: if none comes by then, her contacts"
say "are told she is overdue."
as amal checkin --status ok --note "Arrived at the shelter in Tarifa, all calm." --next-in 3h
echo
say "Jonas and Sofia read their inbox; each message is checked: signed by Amal, meant for them."
as jonas inbox
as sofia inbox

# ── 6 ─────────────────────────────────────────────────────────────────────────────────────────
section "6. Amal sets off; Jonas and Sofia keep watch"
say "Before the risky part of her day, Amal checks in again, with where she is going:"
as amal checkin --status ok --note "Leaving for the north checkpoint with two families." --next-in 1h
echo
say "Jonas and Sofia each start \`vigil watch\` and leave it running: it shows what arrived"
say "since they last looked, then long-polls the relay and shows alerts the moment they"
say "arrive (--on-alert could also sound an alarm). Here they run in the background."
# Started while that check-in waits for them, on purpose: a `vigil watch` whose first request is
# a held long-poll busy-spins a CPU core until that long-poll returns (up to 25 s), which on a
# small machine can starve the relay and delay the alert. Once the first fetch has returned,
# watching is idle.
for who in jonas sofia; do
    shown "$who" vigil watch
    VIGIL_HOME=$work/$who "$vigil" watch --duration 5m --passphrase-file "$work/$who.passphrase" \
        </dev/null >"$work/$who.watch" 2>&1 &
    watch_pids+=($!)
done
for who in jonas sofia; do
    wait_for "$work/$who.watch" "Leaving for the north checkpoint" 30 || {
        indent <"$work/$who.watch"
        fail "$who's \`vigil watch\` did not show Amal's check-in within 30 s (its output is above)"
    }
done
say "Both watchers are connected and showed the check-in; they keep running."

# ── 7 ─────────────────────────────────────────────────────────────────────────────────────────
panic_text="Stopped at the north checkpoint, police are taking my phone. Call the lawyer."
section "7. Amal raises a panic alert"
say "Something goes wrong. One command, no questions asked:"
panic_sent=$(date +%s%N)
as amal panic "$panic_text" --location 36.0128,-5.6045
echo
for pair in jonas:Jonas sofia:Sofia; do
    who=${pair%%:*} name=${pair#*:}
    wait_for "$work/$who.watch" "PANIC from amal" 30 || {
        indent <"$work/$who.watch"
        fail "$name's \`vigil watch\` did not show the alert within 30 s (its output is above)"
    }
done
panic_seen=$(date +%s%N)
for pair in jonas:Jonas sofia:Sofia; do
    who=${pair%%:*} name=${pair#*:}
    say "$name's terminal, where \`vigil watch\` runs:"
    indent <"$work/$who.watch"
    echo
done
elapsed=$(((panic_seen - panic_sent) / 1000000))
say "Both screens showed it $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)) | cut -c1) s after Amal pressed Enter: delivered, signature checked, decrypted."

# ── 8 ─────────────────────────────────────────────────────────────────────────────────────────
section "8. Jonas and Sofia acknowledge; Amal sees who is on it"
# The ID each of them answers is the one their own Vigil stored for Amal's alert.
panic_id_of() {
    as_quiet "$1" inbox --all --json |
        json '[m for m in d["messages"] if m["kind"] == "panic" and m["from"].get("alias") == "amal"][-1]["message_id"][:12]'
}
jonas_id=$(panic_id_of jonas) || fail "Jonas's Vigil has no panic alert from Amal"
sofia_id=$(panic_id_of sofia) || fail "Sofia's Vigil has no panic alert from Amal"
grep -qF "id $jonas_id" "$work/jonas.watch" || fail "Jonas's watch did not show the alert's ID $jonas_id"
grep -qF "id $sofia_id" "$work/sofia.watch" || fail "Sofia's watch did not show the alert's ID $sofia_id"
say "Each answers the alert by the ID their watch showed ($jonas_id), with a signed note:"
as jonas ack "$jonas_id" "On my way, calling the lawyer now."
as sofia ack "$sofia_id" "Calling your family and the legal team."
echo
say "Amal, as soon as she can, checks her inbox:"
as amal inbox
for name in jonas sofia; do
    grep -q "$name ACKNOWLEDGED" <<<"$last_output" || fail "Amal's inbox does not show $name's acknowledgement"
done
echo
say "Jonas and Sofia stop watching (Ctrl-C)."
for pid in "${watch_pids[@]}"; do stop_process "$pid" || true; done
watch_pids=()

# ── 8½ ────────────────────────────────────────────────────────────────────────────────────────
section "9. The dead man's switch goes off while Amal is offline"
say "Before she crosses again, Amal puts Sofia in her second circle (tier 2): Sofia is alerted"
say "only if nobody in the first circle (Jonas) acknowledges the alarm in time."
as amal contacts tier sofia 2
as amal config --escalate-after 4s
say "Then she arms her dead man's switch: the relay holds a missed-check-in alert sealed to"
say "Jonas, and an escalation alert sealed to Sofia; it delivers them if no check-in renews it in"
say "time. It cannot read them. (Seconds here instead of hours, for the demo.)"
as amal arm --every 3s --grace 2s --message "No check-in from me: I may be detained. Call the lawyer."
echo
say "Then her phone is taken: nothing runs on it any more. The deadline passes..."
inbox_until jonas "MISSED CHECK-IN" || fail "the relay did not deliver the missed-check-in alert to Jonas"
say "Jonas does not see it in time (he is asleep). Four seconds later the relay escalates:"
inbox_until sofia "ESCALATED" || fail "the relay did not escalate the missed-check-in alert to Sofia"
say "Both got it from the relay alone, signed by Amal, sealed by her phone before it was taken."
say "(Had Jonas run \`vigil ack\` in time, his client would have disarmed the escalation.)"

# ── 9 ─────────────────────────────────────────────────────────────────────────────────────────
clear_text="Released without charge, home safe. Thank you both."
section "10. What the relay holds: ciphertext only"
say "Hours later Amal is released and sends the all-clear. Nobody is watching, so it waits on"
say "the relay until Jonas and Sofia next look:"
as amal all-clear "$clear_text"
echo
say "Meanwhile, what the relay keeps on its disk (anyone who seizes the server gets this):"
(cd "$work/relay" && ls -l) | sed -e '1d' | awk '{printf "      %-22s %8s bytes\n", $9, $5}'
python3 - "$work/relay/relay.sqlite" "$work"/{amal,jonas,sofia}/keystore.json <<'EOF' | indent || fail "could not read the relay database"
import json, sqlite3, sys
identity_keys = {json.load(open(path))["signingKey"].lower() for path in sys.argv[2:]}
try:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    owner_keys = [key.hex() for (key,) in db.execute("SELECT owner_key FROM mailboxes")]
    pending = db.execute("SELECT length(blob), hex(substr(blob, 1, 24)) FROM messages WHERE blob IS NOT NULL").fetchall()
    fetched = db.execute("SELECT count(*) FROM messages WHERE blob IS NULL").fetchone()[0]
except sqlite3.Error as error:
    print(f"(the database could not be read while the relay runs: {error})")
    sys.exit(0)
reused = sum(key in identity_keys for key in owner_keys)
print(f"{len(owner_keys)} mailboxes: a random ID and a public key each, no name;")
print("  " + ("none of the keys is anyone's identity key" if reused == 0 else f"{reused} of the keys are identity keys"))
print(f"{fetched} messages fetched by their owners (check-ins, the alert, acknowledgements, receipts):")
print(f"  only a 32-byte BLAKE2b digest of each is left, to store retried copies once")
print(f"{len(pending)} messages waiting (the all-clear, one per contact):")
for size, head in pending:
    print(f"  {size} bytes: {head.lower()}…")
EOF
say "Searching every file of the relay for what was said, and who said it:"
found=0
for text in "$panic_text" "$clear_text" "I may be detained" "Arrived at the shelter" "north checkpoint" "lawyer" "On my way" "Tarifa" "Amal" "Jonas" "Sofia"; do
    if grep -r -a -q -F -- "$text" "$work/relay"; then
        printf '      FOUND      "%s"\n' "$text"
        found=1
    else
        printf '      not found  "%s"\n' "$text"
    fi
done
[ $found -eq 0 ] || fail "plaintext was found in the relay's data directory"
echo
say "Only Jonas and Sofia can open the waiting envelopes:"
as jonas inbox
as sofia inbox

# ── 10 ────────────────────────────────────────────────────────────────────────────────────────
section "11. Everything stops"
say "The relay gets SIGTERM and shuts down cleanly:"
code=0
stop_process "$relay_pid" || code=$?
relay_pid=""
grep -v '^$' "$work/relay.log" | grep -E 'shutting down|stopped' | sed -E 's/^[^ ]+ //' | indent || true
[ $code -eq 0 ] || fail "vigil-relay exited with code $code after SIGTERM"
say "vigil-relay exited with code 0; the temporary directory is removed next."
echo
echo "Done in $(($(date +%s) - start)) s: check-in, panic alert, acknowledgements, the dead man's switch and all-clear went"
echo "through a real relay that only ever held ciphertext. What a tampered, misdirected or forged"
echo "envelope gets is shown by the in-memory demo: Tools/demo.sh --in-memory"
