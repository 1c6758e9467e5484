#!/usr/bin/env python3
"""Load driver and checker for Tools/soak.sh (the relay soak test).

Subcommands, each run as its own process by soak.sh:

  setup    create the owners' mailboxes (signed requests) and write their keys to a JSON file
  deposit  one depositor: random sealed-envelope-sized blobs into random mailboxes until a
           deadline; every 201 is logged as (mailbox, id, BLAKE2b digest); some deposits are
           sent twice, as a client retry, and must get the same id back
  owner    one owner: a thread per mailbox long-polls, fetches (sometimes from after=0, as a
           fresh client would), checks and logs every message, and acknowledges it; after the
           deadline it drains what is left
  timers   timer worker: threads arm timers (bundles of 1-3 blobs to the owners' mailboxes,
           deadline 5-20 s ahead), renew most (sometimes replacing the bundle), disarm some and
           let some fire; logs the blobs of every fired, disarmed and replaced bundle
  sample   prints one CSV line: the relay's RSS and fd count, and the database file sizes
  verify   reads everything above and prints the summary table; exit 1 if a check failed

Only the standard library and the system libsodium (Ed25519, through ctypes) are used; the
relay links the same libsodium, so it is there wherever the relay runs.
"""
import argparse
import base64
import ctypes
import ctypes.util
import glob
import hashlib
import http.client
import json
import os
import random
import sqlite3
import sys
import threading
import time
import urllib.parse

# --- Ed25519 through libsodium ---------------------------------------------------------------

_sodium = None


def sodium():
    global _sodium
    if _sodium is None:
        name = ctypes.util.find_library("sodium") or "libsodium.so.23"
        lib = ctypes.CDLL(name)
        if lib.sodium_init() < 0:
            raise SystemExit("libsodium failed to initialise")
        lib.crypto_sign_detached.argtypes = [
            ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
        _sodium = lib
    return _sodium


def keypair():
    public, secret = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    if sodium().crypto_sign_keypair(public, secret) != 0:
        raise SystemExit("crypto_sign_keypair failed")
    return public.raw, secret.raw


def sign(secret, message):
    signature = ctypes.create_string_buffer(64)
    if sodium().crypto_sign_detached(signature, None, message, len(message), secret) != 0:
        raise SystemExit("crypto_sign_detached failed")
    return signature.raw


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def signed_headers(secret, method, path, query, body):
    """The three Vigil- headers of Protocol/relay-api.md, 'Request authentication'."""
    timestamp = str(int(time.time()))
    nonce = os.urandom(16).hex()
    message = b"Vigil relay request v1\x00" + "\n".join(
        [method, path, query, blake2b256(body), timestamp, nonce]).encode()
    return {
        "Vigil-Timestamp": timestamp,
        "Vigil-Nonce": nonce,
        "Vigil-Signature": sign(secret, message).hex(),
    }


# --- HTTP ------------------------------------------------------------------------------------

class Relay:
    """One keep-alive connection; reconnects after a failure (and says so in `reconnects`)."""

    def __init__(self, url, timeout=75):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.connection = None
        self.reconnects = 0
        self.retry_after = None

    def backoff(self):
        """Waits as long as the last refusal's Retry-After asked (1 s without one, 5 s at most)."""
        try:
            seconds = float(self.retry_after) if self.retry_after else 1.0
        except ValueError:
            seconds = 1.0
        time.sleep(min(max(seconds, 0.1), 5.0))

    def request(self, method, path, query="", body=b"", secret=None, content_type=None):
        headers = {"Content-Length": str(len(body))}
        if content_type:
            headers["Content-Type"] = content_type
        if secret is not None:
            headers.update(signed_headers(secret, method, path, query, body))
        target = path + ("?" + query if query else "")
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, target, body=body if body else None, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                self.retry_after = response.getheader("Retry-After")
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (OSError, http.client.HTTPException):
                self.close()
                self.reconnects += 1
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- setup -----------------------------------------------------------------------------------

def cmd_setup(args):
    relay = Relay(args.url)
    owners = []
    for index in range(args.owners):
        mailboxes = []
        for _ in range(args.mailboxes_per_owner):
            public, secret = keypair()
            body = json.dumps({"owner_key": public.hex()}).encode()
            status, data = relay.request("POST", "/v1/mailboxes", body=body, secret=secret,
                                         content_type="application/json")
            if status != 201:
                raise SystemExit(f"creating a mailbox failed: {status} {data[:200]!r}")
            mailboxes.append({"id": json.loads(data)["mailbox_id"], "secret": secret.hex()})
        owners.append({"index": index, "mailboxes": mailboxes})
    with open(args.out, "w") as file:
        json.dump({"owners": owners}, file)


def load_state(path):
    with open(path) as file:
        return json.load(file)


# --- depositor -------------------------------------------------------------------------------

# Sealed envelope sizes of the padding buckets (Protocol/envelope.md), weighted towards the
# small check-ins that dominate real traffic.
BLOB_SIZES = [304, 1072, 4144, 16432]
BLOB_WEIGHTS = [50, 30, 15, 5]


def cmd_deposit(args):
    state = load_state(args.state)
    mailboxes = [m["id"] for owner in state["owners"] for m in owner["mailboxes"]]
    rng = random.Random(args.seed)
    relay = Relay(args.url, timeout=30)
    counts = {"sent": 0, "retries": 0, "errors": 0}
    statuses = {}
    interval = 1.0 / args.rate
    next_send = time.monotonic()
    with open(args.log, "w", buffering=1) as log:
        while time.time() < args.until:
            mailbox = rng.choice(mailboxes)
            size = rng.choices(BLOB_SIZES, BLOB_WEIGHTS)[0]
            blob = os.urandom(size)
            path = f"/v1/mailboxes/{mailbox}/messages"
            try:
                status, data = relay.request("POST", path, body=blob, content_type="application/octet-stream")
            except (OSError, http.client.HTTPException) as error:
                counts["errors"] += 1
                log.write(json.dumps({"error": str(error)}) + "\n")
                time.sleep(0.5)
                continue
            counts["sent"] += 1
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                message_id = json.loads(data)["id"]
                record = {"m": mailbox, "id": message_id, "d": blake2b256(blob), "n": size}
                if rng.random() < 0.05:
                    # A client that did not see the answer retries the same bytes: the relay
                    # must answer with the same id and store nothing new.
                    counts["retries"] += 1
                    retry_status, retry_data = relay.request(
                        "POST", path, body=blob, content_type="application/octet-stream")
                    record["retry"] = json.loads(retry_data)["id"] if retry_status == 201 else -retry_status
                log.write(json.dumps(record) + "\n")
            # Open loop at the target rate (catching up after a slow answer, never bursting).
            next_send = max(next_send + interval, time.monotonic() - 1.0)
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        log.write(json.dumps({"summary": counts, "statuses": statuses, "reconnects": relay.reconnects}) + "\n")


# --- owner -----------------------------------------------------------------------------------

def owner_thread(args, mailbox, log, lock, totals, seed):
    rng = random.Random(seed)
    relay = Relay(args.url)
    secret = bytes.fromhex(mailbox["secret"])
    path = f"/v1/mailboxes/{mailbox['id']}/messages"
    acknowledged = set()
    seen = set()  # fetched, acknowledged or not
    cursor = 0
    empty_after_deadline = 0
    drain_deadline = args.until + args.drain
    while True:
        now = time.time()
        draining = now >= args.until
        if now >= drain_deadline or (draining and empty_after_deadline >= 2):
            break
        # Mostly long-polls from the cursor; sometimes a plain poll, a small page, or a fetch
        # from the start as a client that lost its cursor would do (it must not see
        # acknowledged messages again).
        after = 0 if rng.random() < 0.1 else cursor
        limit = rng.choice([100, 100, 100, 10, 3])
        wait = 0 if draining or rng.random() < 0.2 else rng.choice([5, 10, 25])
        query = f"after={after}&limit={limit}&wait={wait}"
        try:
            status, data = relay.request("GET", path, query=query, secret=secret)
        except (OSError, http.client.HTTPException) as error:
            with lock:
                totals["errors"] += 1
                log.write(json.dumps({"error": str(error)}) + "\n")
            time.sleep(0.5)
            continue
        with lock:
            totals["fetches"] += 1
            totals["statuses"][status] = totals["statuses"].get(status, 0) + 1
        if status != 200:
            relay.backoff()
            continue
        page = json.loads(data)
        messages = page["messages"]
        if not messages:
            if draining:
                empty_after_deadline += 1
            continue
        empty_after_deadline = 0
        ids = []
        with lock:
            for message in messages:
                message_id = message["id"]
                blob = base64.b64decode(message["blob"])
                record = {"m": mailbox["id"], "id": message_id, "d": blake2b256(blob)}
                if message_id in acknowledged:
                    record["again"] = True  # delivered after it was acknowledged: a duplicate
                elif message_id in seen:
                    record["refetch"] = True  # fetched before, its acknowledgement failed: allowed
                seen.add(message_id)
                if message_id <= after:
                    record["order"] = True  # not after the cursor asked for
                log.write(json.dumps(record) + "\n")
                ids.append(message_id)
            ids_sorted = [m["id"] for m in messages]
            if ids_sorted != sorted(ids_sorted):
                log.write(json.dumps({"unordered": ids_sorted}) + "\n")
        # Acknowledge, retrying a refusal (503 when the key's nonce budget is spent) after its
        # Retry-After. Only an answered acknowledgement moves the cursor; otherwise the
        # messages come again, as they would to a real client.
        body = json.dumps({"ids": ids}).encode()
        done = False
        for _ in range(10):
            try:
                status, data = relay.request("POST", path + "/ack", body=body, secret=secret,
                                             content_type="application/json")
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    totals["errors"] += 1
                    log.write(json.dumps({"error": "ack: " + str(error)}) + "\n")
                time.sleep(0.5)
                continue
            with lock:
                totals["acks"] += 1
                totals["statuses"][status] = totals["statuses"].get(status, 0) + 1
                if status == 200:
                    deleted = json.loads(data)["deleted"]
                    fresh = len([i for i in ids if i not in acknowledged])
                    if deleted != fresh:
                        log.write(json.dumps({"ack_deleted": deleted, "expected": fresh}) + "\n")
            if status == 200:
                done = True
                break
            relay.backoff()
        if done:
            acknowledged.update(ids)
            cursor = max(cursor, max(ids))
        # Like a real client, let a few messages gather before the next round trip; this also
        # keeps each owner key well inside the relay's nonce budget (4096 per window).
        time.sleep(args.pause)
    with lock:
        totals["reconnects"] += relay.reconnects
    relay.close()


def cmd_owner(args):
    state = load_state(args.state)
    owner = state["owners"][args.index]
    lock = threading.Lock()
    totals = {"fetches": 0, "acks": 0, "errors": 0, "reconnects": 0, "statuses": {}}
    with open(args.log, "w", buffering=1) as log:
        threads = [
            threading.Thread(target=owner_thread, args=(args, mailbox, log, lock, totals, args.index * 100 + n))
            for n, mailbox in enumerate(owner["mailboxes"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log.write(json.dumps({"summary": totals}) + "\n")


# --- timers ----------------------------------------------------------------------------------

def timer_bundle(rng, mailboxes):
    """1-3 distinct blobs, each to a random owner mailbox: (request list, [(mailbox, digest)])."""
    request, record = [], []
    for _ in range(rng.randint(1, 3)):
        mailbox = rng.choice(mailboxes)
        blob = os.urandom(rng.choice([304, 304, 1072]))
        request.append({"mailbox_id": mailbox, "blob": base64.b64encode(blob).decode()})
        record.append([mailbox, blake2b256(blob)])
    return request, record


def timer_thread(args, mailboxes, log, lock, totals, seed):
    """Timer lifecycles, one after another, until args.until (after args.end all are disarmed): arm (deadline 5-20 s ahead), renew
    0-4 times before the deadline (sometimes replacing the bundle, sometimes reading the timer
    first), then disarm or let it fire. Fired = the last successful arm/renew deadline passed
    with no disarm (the client's point of view); renewals and disarms are only sent while the
    deadline is at least 2 s away, so the client's and the relay's views cannot disagree."""
    rng = random.Random(seed)
    relay = Relay(args.url, timeout=30)

    def note(kind, **fields):
        with lock:
            log.write(json.dumps(dict(t=kind, **fields)) + "\n")

    def count(key, status=None):
        with lock:
            totals[key] = totals.get(key, 0) + 1
            if status is not None:
                totals["statuses"][str(status)] = totals["statuses"].get(str(status), 0) + 1

    def call(key, method, path, secret, body=b""):
        """(status, json) or None after a transport error (logged, counted)."""
        try:
            status, data = relay.request(method, path, body=body, secret=secret,
                                         content_type="application/json" if body else None)
        except (OSError, http.client.HTTPException) as error:
            count("errors")
            note("error", what=key, error=str(error))
            return None
        count(key, status)
        try:
            return status, json.loads(data) if data else {}
        except ValueError:
            return status, {}

    while time.time() < args.until:
        public, secret = keypair()
        bundle, blobs = timer_bundle(rng, mailboxes)
        deadline = int(time.time()) + rng.randint(5, 20)
        body = json.dumps({"timer_key": public.hex(), "deadline": deadline, "blobs": bundle}).encode()
        answer = call("arms", "POST", "/v1/timers", secret, body)
        if answer is None:
            note("ambiguous", blobs=blobs)  # may or may not exist: excluded from the checks
            time.sleep(0.5)
            continue
        status, reply = answer
        if status != 201:
            note("dead", why=f"arm refused {status}", blobs=blobs)
            relay.backoff()
            continue
        timer = reply["timer_id"]
        path = f"/v1/timers/{timer}"
        renewals = rng.choice([0, 1, 1, 2, 2, 3, 4])
        fate = "fire" if rng.random() < 0.35 else "disarm"
        if time.time() >= args.end:
            # Nothing may fire after args.end (the owners must still be there to fetch it), but
            # the connections stay busy until the end of the load: arm and disarm promptly.
            fate, renewals = "disarm", 0
        outcome = None
        for _ in range(renewals + 1):
            # Act somewhere between now and 2.5 s before the deadline.
            latest = deadline - 2.5 - time.time()
            if latest <= 0:
                break
            time.sleep(rng.uniform(0, latest if time.time() < args.end else min(latest, 1.0)))
            last_round = _ == renewals or time.time() >= args.end
            if last_round and time.time() >= args.end:
                fate = "disarm"
            if rng.random() < 0.2:
                answer = call("reads", "GET", path, secret)
                if answer is not None and (answer[0] != 200 or answer[1].get("deadline") != deadline
                                           or answer[1].get("blobs") != len(blobs)):
                    note("anomaly", what="read", timer=timer, expected=[deadline, len(blobs)], got=list(answer))
            if deadline - time.time() < 2:
                break  # too close to call: it fires
            if last_round:
                if fate == "disarm":
                    answer = call("disarms", "DELETE", path, secret)
                    if answer is None:
                        outcome = "ambiguous"
                    elif answer[0] == 200:
                        outcome = "disarmed"
                    else:
                        note("anomaly", what="disarm", timer=timer, status=answer[0], left=deadline - time.time())
                        outcome = "unknown"
                break
            new_deadline = int(time.time()) + rng.randint(5, 20)
            request = {"deadline": new_deadline}
            replace = rng.random() < 0.3
            if replace:
                new_bundle, new_blobs = timer_bundle(rng, mailboxes)
                request["blobs"] = new_bundle
            answer = call("renews", "POST", path + "/renew", secret, json.dumps(request).encode())
            if answer is None:
                outcome = "ambiguous"
                if replace:
                    note("ambiguous", blobs=new_blobs)
                break
            if answer[0] != 200 or answer[1].get("deadline") != new_deadline:
                note("anomaly", what="renew", timer=timer, status=answer[0], reply=answer[1],
                     left=deadline - time.time())
                if replace:
                    note("dead", why="renewal refused", blobs=new_blobs)
                if answer[0] == 404:
                    outcome = "unknown"
                    break
                continue
            deadline = new_deadline
            if replace:
                count("replaced")
                note("dead", why="replaced", timer=timer, blobs=blobs)
                blobs = new_blobs
        if outcome is None:
            count("fired")
            note("fired", timer=timer, deadline=deadline, blobs=blobs)
        elif outcome == "disarmed":
            note("dead", why="disarmed", timer=timer, blobs=blobs)
        else:
            note("ambiguous", timer=timer, blobs=blobs)
    relay.close()


def cmd_timers(args):
    state = load_state(args.state)
    mailboxes = [m["id"] for owner in state["owners"] for m in owner["mailboxes"]]
    lock = threading.Lock()
    totals = {"errors": 0, "statuses": {}}
    with open(args.log, "w", buffering=1) as log:
        threads = [threading.Thread(target=timer_thread, args=(args, mailboxes, log, lock, totals, 1000 + n))
                   for n in range(args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        log.write(json.dumps({"summary": totals}) + "\n")


# --- sampling --------------------------------------------------------------------------------

def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def cmd_sample(args):
    rss_kb = 0
    with open(f"/proc/{args.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{args.pid}/fd"))
    database = os.path.join(args.data_dir, "relay.sqlite")
    if not os.path.exists(database):
        candidates = glob.glob(os.path.join(args.data_dir, "*.sqlite")) + glob.glob(os.path.join(args.data_dir, "*.db"))
        database = candidates[0] if candidates else database
    print(f"{time.time():.1f},{args.phase},{rss_kb},{fds},{file_size(database)},"
          f"{file_size(database + '-wal')},{file_size(database + '-shm')}")


def database_pages(path):
    """(page_size, page_count, freelist_count) of a database file, opened read-only."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        page_count = connection.execute("PRAGMA page_count").fetchone()[0]
        freelist = connection.execute("PRAGMA freelist_count").fetchone()[0]
        rows = connection.execute("SELECT count(*), count(blob) FROM messages").fetchone()
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        return {"page_size": page_size, "pages": page_count, "free": freelist,
                "live_bytes": (page_count - freelist) * page_size, "file": file_size(path),
                "wal": file_size(path + "-wal"), "rows": rows[0], "pending_rows": rows[1],
                "integrity": integrity}
    finally:
        connection.close()


def cmd_pages(args):
    print(json.dumps(database_pages(args.database)))


# --- verification ----------------------------------------------------------------------------

def read_jsonl(path):
    with open(path) as file:
        for line in file:
            line = line.strip()
            if line:
                yield json.loads(line)


def slope_per_minute(points):
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def cmd_verify(args):
    failures = []
    rows = []

    def check(name, ok, figure, bound):
        rows.append((name, figure, bound, "ok" if ok else "FAIL"))
        if not ok:
            failures.append(name)

    # Messages: every 201 fetched exactly once, byte for byte.
    deposited = {}  # (mailbox, id) -> digest
    retry_mismatch = 0
    deposit_errors = 0
    deposit_statuses = {}
    sent = retries = 0
    bytes_deposited = 0
    for path in sorted(glob.glob(os.path.join(args.work, "deposit-*.jsonl"))):
        for record in read_jsonl(path):
            if "summary" in record:
                sent += record["summary"]["sent"]
                retries += record["summary"]["retries"]
                deposit_errors += record["summary"]["errors"]
                for status, count in record["statuses"].items():
                    deposit_statuses[status] = deposit_statuses.get(status, 0) + count
            elif "id" in record:
                key = (record["m"], record["id"])
                if key in deposited and deposited[key] != record["d"]:
                    failures.append(f"id {record['id']} answered for two different blobs")
                deposited[key] = record["d"]
                bytes_deposited += record["n"]
                if "retry" in record and record["retry"] != record["id"]:
                    retry_mismatch += 1
    received = {}
    duplicates = corrupted = again = order = ack_problems = owner_errors = fetches = refetches = 0
    owner_statuses = {}
    for path in sorted(glob.glob(os.path.join(args.work, "owner-*.jsonl"))):
        for record in read_jsonl(path):
            if "summary" in record:
                fetches += record["summary"]["fetches"]
                owner_errors += record["summary"]["errors"]
                for status, count in record["summary"]["statuses"].items():
                    owner_statuses[status] = owner_statuses.get(status, 0) + count
            elif "id" in record:
                key = (record["m"], record["id"])
                if record.get("again"):
                    again += 1
                if record.get("order"):
                    order += 1
                if record.get("refetch"):
                    refetches += 1
                elif key in received:
                    duplicates += 1
                received[key] = record["d"]
                if key in deposited and deposited[key] != record["d"]:
                    corrupted += 1
            elif "ack_deleted" in record or "unordered" in record:
                ack_problems += 1
    # Timers: every blob of a fired timer fetched by its owner exactly once (one message id);
    # no blob of a disarmed timer or of a replaced bundle ever delivered.
    fired, dead, ambiguous = set(), {}, set()
    timer_anomalies, timer_totals = [], {"errors": 0, "statuses": {}}
    fired_timers = 0
    for path in sorted(glob.glob(os.path.join(args.work, "timers*.jsonl"))):
        for record in read_jsonl(path):
            kind = record.get("t")
            if "summary" in record:
                for key, value in record["summary"].items():
                    if key == "statuses":
                        for status, n in value.items():
                            timer_totals["statuses"][status] = timer_totals["statuses"].get(status, 0) + n
                    else:
                        timer_totals[key] = timer_totals.get(key, 0) + value
            elif kind == "fired":
                fired_timers += 1
                fired.update(tuple(b) for b in record["blobs"])
            elif kind == "dead":
                for b in record["blobs"]:
                    dead[tuple(b)] = record["why"]
            elif kind == "ambiguous":
                ambiguous.update(tuple(b) for b in record["blobs"])
            elif kind in ("anomaly", "error"):
                timer_anomalies.append(record)
    timer_ids = {}  # (mailbox, digest) -> message ids it was delivered under
    timer_again = 0
    for path in sorted(glob.glob(os.path.join(args.work, "owner-*.jsonl"))):
        for record in read_jsonl(path):
            if "id" in record and (record["m"], record["d"]) in (fired | set(dead) | ambiguous):
                timer_ids.setdefault((record["m"], record["d"]), set()).add(record["id"])
                if record.get("again"):
                    timer_again += 1
    timer_digests = {d for _, d in fired | set(dead) | ambiguous}
    fired_missing = [b for b in fired if b not in timer_ids]
    fired_multiple = [b for b in fired if len(timer_ids.get(b, ())) > 1]
    dead_delivered = [b for b in dead if b in timer_ids]
    t = timer_totals
    check("timers exercised (arm, renew, replace, disarm, fire)",
          all(t.get(k, 0) > 0 for k in ("arms", "renews", "replaced", "disarms")) and fired_timers > 0,
          f"{t.get('arms', 0)} arms, {t.get('renews', 0)} renews ({t.get('replaced', 0)} replacing the bundle), "
          f"{t.get('disarms', 0)} disarms, {t.get('reads', 0)} reads, {fired_timers} fired", "> 0 each")
    check("fired-timer blobs fetched exactly once", not fired_missing and not fired_multiple and timer_again == 0,
          f"{len(fired)} blobs, {len(fired_missing)} never fetched, {len(fired_multiple)} under 2+ ids, "
          f"{timer_again} after ack", "0")
    check("disarmed/replaced blobs never delivered", not dead_delivered,
          f"{len(dead)} blobs ({sum(1 for w in dead.values() if w == 'disarmed')} disarmed, "
          f"{sum(1 for w in dead.values() if w == 'replaced')} replaced), {len(dead_delivered)} delivered", "0")
    timer_refused = {s: n for s, n in t["statuses"].items() if s not in ("200", "201")}
    check("timer requests: anomalies, errors, refusals", not timer_anomalies and not timer_refused,
          f"{len(timer_anomalies)} anomalies/errors, refused {json.dumps(timer_refused) if timer_refused else 'none'}"
          f"{', ' + str(len(ambiguous)) + ' ambiguous blobs' if ambiguous else ''}", "0")
    if timer_anomalies:
        print("timer anomalies:", *[json.dumps(a) for a in timer_anomalies[:5]], sep="\n  ", file=sys.stderr)

    lost = [key for key in deposited if key not in received]
    unconfirmed = [key for key in received if key not in deposited and received[key] not in timer_digests]
    check("deposits answered 201, all fetched", not lost,
          f"{len(deposited)} accepted, {len(lost)} lost", "0 lost")
    check("fetched again after its ack", duplicates == 0 and again == 0,
          f"{again} after ack, {duplicates} other repeats ({refetches} refetched after a refused ack)", "0")
    check("fetched bytes = deposited bytes", corrupted == 0, f"{corrupted} differ", "0")
    check("retried deposit got the same id", retry_mismatch == 0,
          f"{retries} retries, {retry_mismatch} new ids", "0 new ids")
    check("order, ack counts, cursor", order == 0 and ack_problems == 0,
          f"{order} out of range, {ack_problems} ack/order anomalies", "0")
    check("fetched but never answered 201", not unconfirmed, f"{len(unconfirmed)}", "0")
    check("client-side transport errors", deposit_errors + owner_errors == 0,
          f"{deposit_errors} deposit, {owner_errors} owner", "0")
    refused = {status: count for status, count in deposit_statuses.items() if status != "201"}
    check("deposits refused", not refused, json.dumps(refused) if refused else "none", "none")
    owner_refused = {status: count for status, count in owner_statuses.items() if status != "200"}
    rows.append(("owner requests refused (retried)", json.dumps(owner_refused) if owner_refused else "none",
                 "report", "-"))

    # Resources over time.
    samples = []
    with open(os.path.join(args.work, "samples.csv")) as file:
        for line in file:
            t, phase, rss, fds, db, wal, shm = line.strip().split(",")
            samples.append((float(t), phase, int(rss), int(fds), int(db), int(wal), int(shm)))
    idle = [s for s in samples if s[1] == "idle"]
    load = [s for s in samples if s[1] == "load"]
    after = [s for s in samples if s[1] == "after"]
    start = load[0][0] if load else 0
    warm = [s for s in load if s[0] - start >= args.warmup]
    if not warm:
        failures.append("no samples after the warm-up")
        warm = load[-1:]
    rss = [s[2] for s in warm]
    rss_slope = slope_per_minute([(s[0], s[2]) for s in warm])
    growth = rss[-1] - rss[0]
    check("RSS after warm-up: last - first", growth <= args.rss_growth_kb,
          f"first {mib(rss[0])}, last {mib(rss[-1])}, max {mib(max(rss))}, min {mib(min(rss))}",
          f"growth <= {mib(args.rss_growth_kb)}")
    check("RSS slope after warm-up", rss_slope <= args.rss_slope_kb,
          f"{rss_slope:+.0f} KiB/min over {(warm[-1][0] - warm[0][0]) / 60:.1f} min",
          f"<= {args.rss_slope_kb} KiB/min")
    fds = [s[3] for s in warm]
    baseline_fds = idle[-1][3] if idle else fds[0]
    final_fds = after[-1][3] if after else fds[-1]
    check("open fds under load (after warm-up)", max(fds) - min(fds) <= args.fd_spread,
          f"min {min(fds)}, max {max(fds)}, slope {slope_per_minute([(s[0], s[3]) for s in warm]):+.2f}/min",
          f"spread <= {args.fd_spread}")
    check("open fds idle before vs after load", final_fds <= baseline_fds,
          f"before {baseline_fds}, after {final_fds}", "after <= before")
    wal_max = max(s[5] for s in samples)
    check("WAL size during the run", wal_max <= args.wal_bound,
          f"max {wal_max / 1048576:.1f} MiB", f"<= {args.wal_bound / 1048576:.0f} MiB")

    # Database size: after the acknowledgements (relay stopped), and after the retention purge.
    stats = json.load(open(os.path.join(args.work, "db.json")))
    peak_db = max(s[4] for s in samples)
    before = stats.get("idle")
    acked = stats.get("acked")
    purged = stats.get("purged")
    if acked:
        check("pending blobs after all acks", acked["pending_rows"] == 0 and stats.get("metrics_blobs") == 0,
              f"{acked['pending_rows']} rows, metrics {stats.get('metrics_blobs')} blobs / {stats.get('metrics_bytes')} bytes",
              "0")
        check("integrity_check after stop", acked["integrity"] == "ok", acked["integrity"], "ok")
        check("WAL after a clean stop", acked["wal"] == 0, f"{acked['wal']} bytes", "0")
        rows.append(("DB after acks (tombstones kept for retention)",
                     f"file {acked['file'] / 1048576:.1f} MiB (peak {peak_db / 1048576:.1f}), live "
                     f"{acked['live_bytes'] / 1048576:.2f} MiB, {acked['rows']} digest rows "
                     f"({acked['live_bytes'] / max(acked['rows'], 1):.0f} B/row)",
                     "report", "-"))
    else:
        failures.append("no database figures after the acknowledgements")
    if purged:
        baseline_live = before["live_bytes"] if before else 0
        check("live DB after the retention purge", purged["rows"] == 0
              and purged["live_bytes"] <= baseline_live + args.purge_slack,
              f"live {purged['live_bytes'] / 1024:.0f} KiB ({purged['rows']} rows), idle start "
              f"{baseline_live / 1024:.0f} KiB; file {purged['file'] / 1048576:.1f} MiB, free pages {purged['free']}",
              f"0 rows, live <= start + {args.purge_slack // 1024} KiB")
        check("integrity_check after purge", purged["integrity"] == "ok", purged["integrity"], "ok")
    else:
        rows.append(("retention purge", stats.get("purge_note", "not run"), "-", "NOT RUN"))

    stops = stats.get("stop_failures", 0)
    check("relay exits 0 on SIGTERM", stops == 0, f"{stops} other exits", "0")
    errors = stats.get("relay_errors", 0)
    check("errors in the relay's log", errors == 0, f"{errors} lines", "0")

    print()
    print(f"Relay soak: {args.minutes} min of load, {sent} deposits sent ({bytes_deposited / 1048576:.0f} MiB accepted), "
          f"{fetches} fetches, {len(samples)} samples")
    width = [max(len(r[i]) for r in rows + [("check", "figure", "bound", "result")]) for i in range(4)]
    line = "  ".join(["{:<%d}" % w for w in width])
    print(line.format("check", "figure", "bound", "result"))
    print(line.format(*["-" * w for w in width]))
    for row in rows:
        print(line.format(*row))
    if failures:
        print(f"\nFAILED: {', '.join(failures)}")
        sys.exit(1)
    print("\nall checks passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--url", required=True)
    p.add_argument("--owners", type=int, default=4)
    p.add_argument("--mailboxes-per-owner", type=int, default=2)
    p.add_argument("--out", required=True)
    p = sub.add_parser("deposit")
    p.add_argument("--url", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--until", type=float, required=True)
    p.add_argument("--rate", type=float, default=40, help="deposits per second")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log", required=True)
    p = sub.add_parser("owner")
    p.add_argument("--url", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--until", type=float, required=True)
    p.add_argument("--drain", type=float, default=90)
    p.add_argument("--pause", type=float, default=0.25, help="seconds between rounds that found messages")
    p.add_argument("--log", required=True)
    p = sub.add_parser("timers")
    p.add_argument("--url", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--until", type=float, required=True, help="end of the load")
    p.add_argument("--end", type=float, required=True, help="only disarms after this (fired ones fire by +20 s)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--log", required=True)
    p = sub.add_parser("sample")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--phase", required=True)
    p = sub.add_parser("pages")
    p.add_argument("database")
    p = sub.add_parser("verify")
    p.add_argument("--work", required=True)
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--warmup", type=float, default=120)
    p.add_argument("--rss-growth-kb", type=int, default=16 * 1024)
    p.add_argument("--rss-slope-kb", type=int, default=1024)
    p.add_argument("--fd-spread", type=int, default=4)
    p.add_argument("--wal-bound", type=int, default=16 << 20)
    p.add_argument("--purge-slack", type=int, default=64 << 10)
    args = parser.parse_args()
    {"setup": cmd_setup, "deposit": cmd_deposit, "owner": cmd_owner, "sample": cmd_sample,
     "pages": cmd_pages, "verify": cmd_verify, "timers": cmd_timers}[args.command](args)


if __name__ == "__main__":
    main()
