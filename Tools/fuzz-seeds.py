#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus, Fuzz/corpus/<target>/seed-*, from Protocol/vectors.

Each seed is laid out as its target reads input (see the comment at the top of each target in
Fuzz/Sources/): a selector byte, then the bytes. The envelope and card seeds come from the test
vectors; the relay request and response seeds are the API's documented shapes, written here.
Seeds are replaced on every run; other files in the corpus (added by `Tools/fuzz.sh --grow`)
are kept. Deterministic: the same vectors give the same files.
"""
import base64
import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "Protocol" / "vectors"
CORPUS = ROOT / "Fuzz" / "corpus"

HEADER_BYTES = 94  # inner message bytes before the body (Protocol/envelope.md)
SIGNATURE_BYTES = 64
CHECKSUM_BYTES = 4


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def unpad(padded):
    end = padded.rstrip(b"\x00")
    return end[:-1] if end.endswith(b"\x80") else None


class Corpus:
    def __init__(self):
        self.seeds = {}

    def add(self, target, name, data):
        files = self.seeds.setdefault(target, {})
        if data in files.values():
            return
        digest = hashlib.sha1(data).hexdigest()[:8]
        files[f"seed-{slug(name)}-{digest}"] = data

    def write(self):
        for target, files in sorted(self.seeds.items()):
            directory = CORPUS / target
            directory.mkdir(parents=True, exist_ok=True)
            for old in directory.glob("seed-*"):
                old.unlink()
            for name, data in files.items():
                (directory / name).write_bytes(data)
            size = sum(len(data) for data in files.values())
            print(f"{target}: {len(files)} seeds, {size} bytes")


def envelope_seeds(corpus):
    vectors = json.loads((VECTORS / "envelopes.json").read_text())
    for vector in vectors["valid"]:
        name = vector["name"]
        inner = bytes.fromhex(vector["inner_hex"])
        if vector["recipient"]["name"] == "bob" and len(inner) < 4096:
            corpus.add("fuzz-envelope", "sealed " + name, b"\x00" + bytes.fromhex(vector["sealed_hex"]))
        corpus.add("fuzz-envelope", "inner " + name, b"\x02" + inner)
        # Mode 3 with every field fixed: Alice signs, Bob receives, length and version right.
        corpus.add("fuzz-envelope", "signed " + name, bytes([3 | 0xF << 2]) + inner[:-SIGNATURE_BYTES])
        kind = inner[1]
        body = inner[HEADER_BYTES:-SIGNATURE_BYTES]
        selector = kind if kind < 8 or kind >= 0x80 else kind % 8
        corpus.add("fuzz-bodies", name, bytes([selector]) + body)
    for vector in vectors["invalid"]:
        name = vector["name"]
        if vector["padded_hex"] is None:
            if vector["recipient"]["name"] == "bob":
                corpus.add("fuzz-envelope", "sealed " + name, b"\x00" + bytes.fromhex(vector["sealed_hex"]))
            continue
        padded = bytes.fromhex(vector["padded_hex"])
        corpus.add("fuzz-envelope", "padded " + name, b"\x01" + padded)
        inner = unpad(padded)
        if inner is not None and vector["expected_error"] == "body" and len(inner) >= HEADER_BYTES + SIGNATURE_BYTES:
            kind = inner[1]
            selector = kind if kind < 8 or kind >= 0x80 else kind % 8
            corpus.add("fuzz-bodies", name, bytes([selector]) + inner[HEADER_BYTES:-SIGNATURE_BYTES])
            corpus.add("fuzz-envelope", "signed " + name, bytes([3 | 0xF << 2]) + inner[:-SIGNATURE_BYTES])


def card_seeds(corpus):
    vectors = json.loads((VECTORS / "cards.json").read_text())
    for vector in vectors["valid"] + vectors["invalid"]:
        name = vector["name"]
        if vector.get("text"):
            corpus.add("fuzz-card", "text " + name, b"\x00" + vector["text"].encode())
        if vector.get("binary_hex"):
            binary = bytes.fromhex(vector["binary_hex"])
            corpus.add("fuzz-card", "binary " + name, b"\x01" + binary)
            if len(binary) >= 3 + SIGNATURE_BYTES + CHECKSUM_BYTES:
                # Version and fields, for the target to sign (bit 2: with Alice's key on it).
                fields = binary[:1] + binary[3:-(SIGNATURE_BYTES + CHECKSUM_BYTES)]
                corpus.add("fuzz-card", "fields " + name, bytes([2 | 1 << 2]) + fields)
                if "expected" in vector:
                    corpus.add("fuzz-card", "typed fields " + name, bytes([3 | 3 << 2]) + fields)


MAILBOX = "AbCdEfGhIjKlMnOpQrStUvWx"
TIMER = "Qm8xTimerIdOfTwentyFour_"
AUTH = (
    "Vigil-Timestamp: 1764058200\r\n"
    "Vigil-Nonce: 00112233445566778899aabbccddeeff\r\n"
    "Vigil-Signature: " + "ab" * 64 + "\r\n"
)


def request(method, target, headers="", body=b"", length=True):
    head = f"{method} {target} HTTP/1.1\r\nHost: relay.example.org\r\n{headers}"
    if length and (body or method in ("POST", "PUT")):
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def relay_request_seeds(corpus):
    blob = bytes(range(256)) + bytes(48)
    owner = json.dumps({"owner_key": "96" * 32}).encode()
    ack = json.dumps({"ids": [1, 2, 3]}).encode()
    timer = json.dumps({
        "timer_key": "96" * 32, "deadline": 1795603600,
        "blobs": [{"mailbox_id": MAILBOX, "blob": base64.b64encode(blob[:64]).decode()}],
    }).encode()
    requests = {
        "health": request("GET", "/v1/health"),
        "metrics": request("GET", "/metrics"),
        "create mailbox": request("POST", "/v1/mailboxes", "Content-Type: application/json\r\n" + AUTH, owner),
        "deposit": request("POST", f"/v1/mailboxes/{MAILBOX}/messages", "", blob),
        "fetch": request("GET", f"/v1/mailboxes/{MAILBOX}/messages?after=0&limit=100&wait=30", AUTH),
        "fetch largest after": request("GET", f"/v1/mailboxes/{MAILBOX}/messages?after=9007199254740991&limit=1", AUTH),
        "fetch bad query": request("GET", f"/v1/mailboxes/{MAILBOX}/messages?after=01&limit=101&after=2&x", AUTH),
        "fetch unknown parameter": request("GET", f"/v1/mailboxes/{MAILBOX}/messages?cursor=abc&wait=60", AUTH),
        "acknowledge": request("POST", f"/v1/mailboxes/{MAILBOX}/messages/ack", AUTH, ack),
        "delete": request("DELETE", f"/v1/mailboxes/{MAILBOX}", AUTH),
        "arm timer": request("POST", "/v1/timers", "Content-Type: application/json\r\n" + AUTH, timer),
        "renew timer": request("POST", f"/v1/timers/{TIMER}/renew", AUTH, json.dumps({"deadline": 1795607200}).encode()),
        "renew timer with bundle": request("POST", f"/v1/timers/{TIMER}/renew", AUTH, timer),
        "read timer": request("GET", f"/v1/timers/{TIMER}", AUTH),
        "disarm timer": request("DELETE", f"/v1/timers/{TIMER}", AUTH),
        "timer wrong method": request("PUT", f"/v1/timers/{TIMER}", AUTH, b"{}"),
        "unknown path": request("GET", "/v1/nothing/here"),
        "wrong method": request("PUT", "/v1/health", "", b"x"),
        "malformed mailbox id": request("GET", "/v1/mailboxes/short/messages", AUTH),
        "expect continue": request(
            "POST", f"/v1/mailboxes/{MAILBOX}/messages", "Expect: 100-continue\r\n", blob[:64]),
        "expect continue to a wrong path": request("POST", "/v1/mailboxes/x/y/z", "Expect: 100-continue\r\n", b"x"),
        "chunked": b"POST /v1/mailboxes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "two lengths": b"POST /v1/mailboxes HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "length with spaces": b"POST /v1/mailboxes HTTP/1.1\r\nContent-Length:  2 \r\n\r\n{}",
        "no length": b"POST /v1/mailboxes HTTP/1.1\r\n\r\n",
        "body too large": b"POST /v1/mailboxes/" + MAILBOX.encode() + b"/messages HTTP/1.1\r\nContent-Length: 16433\r\n\r\n",
        "http 1.0": b"GET /v1/health HTTP/1.0\r\n\r\n",
        "connection close": request("GET", "/v1/health", "Connection: close\r\n"),
        "bare line feeds": b"\r\n\nGET /v1/health HTTP/1.1\nHost: relay\n\n",
        "not http": b"GARBAGE\r\n\r\n",
        "bad version": b"GET /v1/health HTTP/9.9\r\n\r\n",
        "header without colon": b"GET /v1/health HTTP/1.1\r\nNo colon here\r\n\r\n",
        "repeated signature headers": request(
            "DELETE", f"/v1/mailboxes/{MAILBOX}", AUTH + "Vigil-Nonce: ffeeddccbbaa99887766554433221100\r\n"),
        "upper-case hex": request(
            "DELETE", f"/v1/mailboxes/{MAILBOX}", AUTH.replace("aabbccddeeff", "AABBCCDDEEFF")),
        "head of 8 KiB": request("GET", "/v1/health", "X-Pad: " + "a" * (8192 - 61) + "\r\n"),
    }
    requests["pipelined"] = requests["health"] + requests["fetch"] + requests["deposit"]
    requests["pipelined after close"] = requests["connection close"] + requests["health"]
    requests["truncated body"] = requests["deposit"][:-10]
    for index, (name, data) in enumerate(requests.items()):
        # Chunk sizes cycle through the eight the target offers; every fourth keeps input open.
        selector = (index % 8) | (8 if index % 4 == 3 else 0)
        corpus.add("fuzz-relay-request", name, bytes([selector]) + data)


ERROR_STATUS = {
    "bad_request": 400, "missing_authentication": 400, "stale_request": 401, "not_found": 404,
    "method_not_allowed": 405, "request_timeout": 408, "replayed_request": 409, "length_required": 411,
    "body_too_large": 413, "rate_limited": 429, "headers_too_large": 431, "internal_error": 500,
    "unavailable": 503, "quota_exceeded": 507, "storage_full": 507,
}


def response(selector, status, body, retry_after=b""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body, separators=(",", ":")).encode()
    return bytes([selector, status >> 8, status & 0xFF, len(retry_after)]) + retry_after + body


def relay_response_seeds(corpus):
    envelopes = json.loads((VECTORS / "envelopes.json").read_text())
    blobs = [bytes.fromhex(v["sealed_hex"]) for v in envelopes["valid"] if len(v["sealed_hex"]) <= 2 * 304][:2]
    messages = [
        {"id": index + 1, "received_at": 1764058200 + index, "blob": base64.b64encode(blob).decode()}
        for index, blob in enumerate(blobs)
    ]
    answers = {
        "mailbox created": response(0, 201, {"mailbox_id": MAILBOX}),
        "deposited": response(1, 201, {"id": 42}),
        "fetched": response(2, 200, {"messages": messages, "more": False}),
        "fetched after 5": response(3, 200, {"messages": [dict(m, id=m["id"] + 5) for m in messages], "more": True}),
        "fetched nothing": response(2, 200, {"messages": [], "more": False}),
        "acknowledged": response(4 | 3 << 5, 200, {"deleted": 3}),
        "mailbox deleted": response(5, 200, {"deleted": True}),
        "healthy": response(6, 200, {"status": "ok"}),
        "timer armed": response(7, 201, {"timer_id": TIMER}),
        "timer renewed": response(8, 200, {"deadline": 1764061800}),
        "timer renewed to another deadline": response(8, 200, {"deadline": 1795607200}),
        "timer status": response(9, 200, {"deadline": 1795607200, "blobs": 2}),
        "timer disarmed": response(10, 200, {"deleted": True}),
        "fetched a too large id": response(2, 200, {"messages": [dict(messages[0], id=2**53)], "more": False}),
        "redirect": response(6, 302, b""),
        "proxy error page": response(1, 502, b"<html><body>Bad Gateway</body></html>"),
        "unknown code": response(0, 418, {"error": {"code": "teapot_v2", "message": "short and stout"}}),
        "hostile message": response(2, 400, {"error": {"code": "bad_request", "message": "a\u001b[31mb\u202ec\u0000 \t d" + "x" * 300}}),
        "retry after a date": response(1, 503, {"error": {"code": "unavailable", "message": "later"}}, b"Wed, 21 Oct 2015 07:28:00 GMT"),
        "retry after with spaces": response(1, 429, {"error": {"code": "rate_limited", "message": "slow down"}}, b" 120 "),
    }
    for index, (code, status) in enumerate(ERROR_STATUS.items()):
        retry = b"30" if status in (429, 503) else b""
        answers["refusal " + code] = response(index % 11 | (index % 2) << 4, status, {"error": {"code": code, "message": code.replace("_", " ")}}, retry)
    for name, data in answers.items():
        corpus.add("fuzz-relay-response", name, data)


def main():
    corpus = Corpus()
    envelope_seeds(corpus)
    card_seeds(corpus)
    relay_request_seeds(corpus)
    relay_response_seeds(corpus)
    corpus.write()


if __name__ == "__main__":
    main()
