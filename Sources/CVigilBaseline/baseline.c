// Envelope v1 for check-in bodies, straight on libsodium: the yardstick vigil-bench holds the
// Swift Envelope against. It makes the libsodium calls Envelope.seal / Envelope.open make, in
// the same order, and the same checks; where C can avoid a copy (the signature's domain prefix
// lives in front of the inner message in one buffer) it does, because the point is to show the
// best a direct composition achieves.
#include "CVigilBaseline.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

// "Vigil envelope signature v1" followed by one zero byte (DomainSeparation.envelopeSignature).
static const unsigned char domain[] = "Vigil envelope signature v1";
#define DOMAIN_LEN sizeof(domain) // includes the terminating zero byte, as the protocol wants

#define VERSION 1
#define KIND_CHECK_IN 0x01
#define HEADER_LEN 94  // version, kind, id 16, created at 8, sender 32, recipient 32, body length 4
#define SIG_LEN 64
#define OVERHEAD_LEN (HEADER_LEN + SIG_LEN)
#define OFF_ID 2
#define OFF_CREATED 18
#define OFF_SENDER 26
#define OFF_RECIPIENT 58
#define OFF_BODY_LEN 90

#define FLAG_LOCATION 0x01
#define FLAG_NEXT_DUE 0x02
#define STATUS_MAX 2
#define LAT_MAX 900000000
#define LON_MAX 1800000000

static const size_t buckets[] = {256, 1024, 4096, 16384};
#define BUCKET_COUNT (sizeof(buckets) / sizeof(buckets[0]))

static void store_u16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void store_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void store_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint16_t load_u16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t load_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t load_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

// TextRules, multi-line flavour: strictly valid UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF), and no C0 control other than tab and line feed, no DEL, no C1 control, no
// bidirectional embedding, override or isolate character.
static int scalar_allowed(uint32_t c) {
    if (c == 0x09 || c == 0x0A) return 1;
    if (c <= 0x1F || (c >= 0x7F && c <= 0x9F)) return 0;
    if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) return 0;
    return 1;
}

static int text_valid(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint32_t c;
        unsigned char b = s[i];
        if (b < 0x80) {
            c = b;
            i += 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            if (len - i < 2 || (s[i + 1] & 0xC0) != 0x80) return 0;
            c = ((uint32_t)(b & 0x1F) << 6) | (s[i + 1] & 0x3F);
            i += 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            if (len - i < 3 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            c = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
            if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;
            i += 3;
        } else if (b >= 0xF0 && b <= 0xF4) {
            if (len - i < 4 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return 0;
            c = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
                ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
            if (c < 0x10000 || c > 0x10FFFF) return 0;
            i += 4;
        } else {
            return 0;
        }
        if (!scalar_allowed(c)) return 0;
    }
    return 1;
}

static int location_valid(int32_t lat, int32_t lon) {
    return lat >= -LAT_MAX && lat <= LAT_MAX && lon >= -LON_MAX && lon <= LON_MAX;
}

// CheckIn.encode: checks the body and returns its encoded length (0 when invalid).
static size_t checkin_encoded_len(const vigil_baseline_checkin *body) {
    if (body->status > STATUS_MAX || (body->flags & ~(FLAG_LOCATION | FLAG_NEXT_DUE)) != 0) return 0;
    if (body->note_len > VIGIL_BASELINE_MAX_NOTE_BYTES || !text_valid(body->note, body->note_len)) return 0;
    if ((body->flags & FLAG_LOCATION) && !location_valid(body->latitude_e7, body->longitude_e7)) return 0;
    return 4 + body->note_len + ((body->flags & FLAG_LOCATION) ? 8 : 0) + ((body->flags & FLAG_NEXT_DUE) ? 8 : 0);
}

static void checkin_encode(unsigned char *p, const vigil_baseline_checkin *body) {
    p[0] = body->status;
    p[1] = body->flags;
    store_u16(p + 2, (uint16_t)body->note_len);
    memcpy(p + 4, body->note, body->note_len);
    p += 4 + body->note_len;
    if (body->flags & FLAG_LOCATION) {
        store_u32(p, (uint32_t)body->latitude_e7);
        store_u32(p + 4, (uint32_t)body->longitude_e7);
        p += 8;
    }
    if (body->flags & FLAG_NEXT_DUE) store_u64(p, body->next_due_at);
}

// CheckIn(from:): strict decode, nothing left over; the note is copied out.
static int checkin_decode(vigil_baseline_checkin *out, const unsigned char *p, size_t len) {
    if (len < 4) return VIGIL_BASELINE_INVALID_BODY;
    out->status = p[0];
    out->flags = p[1];
    if (out->status > STATUS_MAX || (out->flags & ~(FLAG_LOCATION | FLAG_NEXT_DUE)) != 0)
        return VIGIL_BASELINE_INVALID_BODY;
    size_t note_len = load_u16(p + 2);
    size_t off = 4;
    if (note_len > VIGIL_BASELINE_MAX_NOTE_BYTES || len - off < note_len) return VIGIL_BASELINE_INVALID_BODY;
    if (!text_valid(p + off, note_len)) return VIGIL_BASELINE_INVALID_BODY;
    memcpy(out->note, p + off, note_len);
    out->note_len = note_len;
    off += note_len;
    out->latitude_e7 = out->longitude_e7 = 0;
    out->next_due_at = 0;
    if (out->flags & FLAG_LOCATION) {
        if (len - off < 8) return VIGIL_BASELINE_INVALID_BODY;
        out->latitude_e7 = (int32_t)load_u32(p + off);
        out->longitude_e7 = (int32_t)load_u32(p + off + 4);
        if (!location_valid(out->latitude_e7, out->longitude_e7)) return VIGIL_BASELINE_INVALID_BODY;
        off += 8;
    }
    if (out->flags & FLAG_NEXT_DUE) {
        if (len - off < 8) return VIGIL_BASELINE_INVALID_BODY;
        out->next_due_at = load_u64(p + off);
        off += 8;
    }
    return off == len ? VIGIL_BASELINE_OK : VIGIL_BASELINE_INVALID_BODY;
}

// Builds `domain || inner` in `buf` (DOMAIN_LEN + VIGIL_BASELINE_MAX_BUCKET bytes), signs it,
// appends the signature and pads the inner message in place. The padded inner message starts
// at buf + DOMAIN_LEN.
static int build_padded(unsigned char *buf, size_t *padded_len, const vigil_baseline_sender *sender,
                        const unsigned char *recipient_signing_pk32, const vigil_baseline_checkin *body,
                        uint64_t created_at, const unsigned char *message_id16) {
    const size_t body_len = checkin_encoded_len(body);
    if (body_len == 0) return VIGIL_BASELINE_INVALID_BODY;
    const size_t inner_len = OVERHEAD_LEN + body_len;
    size_t bucket = 0;
    for (size_t i = 0; i < BUCKET_COUNT; i++) {
        if (inner_len + 1 <= buckets[i]) {
            bucket = buckets[i];
            break;
        }
    }
    if (bucket == 0) return VIGIL_BASELINE_BODY_TOO_LARGE;

    memcpy(buf, domain, DOMAIN_LEN);
    unsigned char *inner = buf + DOMAIN_LEN;
    inner[0] = VERSION;
    inner[1] = KIND_CHECK_IN;
    if (message_id16 != NULL) {
        memcpy(inner + OFF_ID, message_id16, 16);
    } else {
        randombytes_buf(inner + OFF_ID, 16);
    }
    store_u64(inner + OFF_CREATED, created_at);
    memcpy(inner + OFF_SENDER, sender->signing_pk, 32);
    memcpy(inner + OFF_RECIPIENT, recipient_signing_pk32, 32);
    store_u32(inner + OFF_BODY_LEN, (uint32_t)body_len);
    checkin_encode(inner + HEADER_LEN, body);

    crypto_sign_detached(inner + HEADER_LEN + body_len, NULL, buf, DOMAIN_LEN + HEADER_LEN + body_len,
                         sender->signing_sk);
    if (sodium_pad(padded_len, inner, inner_len, bucket, bucket) != 0) return VIGIL_BASELINE_BODY_TOO_LARGE;
    return VIGIL_BASELINE_OK;
}

int vigil_baseline_init(void) { return sodium_init() < 0 ? -1 : 0; }

const char *vigil_baseline_sodium_version(void) { return sodium_version_string(); }

const char *vigil_baseline_status_name(int status) {
    switch (status) {
    case VIGIL_BASELINE_OK: return "ok";
    case VIGIL_BASELINE_INVALID_BODY: return "body";
    case VIGIL_BASELINE_BODY_TOO_LARGE: return "body_too_large";
    case VIGIL_BASELINE_INVALID_RECIPIENT_KEY: return "recipient_key";
    case VIGIL_BASELINE_OUTPUT_TOO_SMALL: return "output_too_small";
    case VIGIL_BASELINE_SEALED_BOX_OPEN_FAILED: return "sealed_box";
    case VIGIL_BASELINE_BAD_PADDING: return "padding";
    case VIGIL_BASELINE_UNSUPPORTED_VERSION: return "version";
    case VIGIL_BASELINE_INVALID_LENGTH: return "length";
    case VIGIL_BASELINE_BAD_SIGNATURE: return "signature";
    case VIGIL_BASELINE_WRONG_RECIPIENT: return "recipient";
    case VIGIL_BASELINE_UNSUPPORTED_KIND: return "unsupported_kind";
    case VIGIL_BASELINE_OUT_OF_MEMORY: return "out_of_memory";
    default: return "unknown";
    }
}

int vigil_baseline_sender_init(vigil_baseline_sender *sender, const unsigned char *seed32) {
    return crypto_sign_seed_keypair(sender->signing_pk, sender->signing_sk, seed32);
}

int vigil_baseline_recipient_init(vigil_baseline_recipient *recipient, const unsigned char *signing_pk32,
                                  const unsigned char *encryption_sk32) {
    memcpy(recipient->signing_pk, signing_pk32, 32);
    memcpy(recipient->encryption_sk, encryption_sk32, 32);
    return crypto_scalarmult_base(recipient->encryption_pk, recipient->encryption_sk);
}

void vigil_baseline_wipe(void *keys, size_t size) { sodium_memzero(keys, size); }

int vigil_baseline_pad_checkin(unsigned char *out, size_t out_capacity, size_t *out_len,
                               const vigil_baseline_sender *sender, const unsigned char *recipient_signing_pk32,
                               const vigil_baseline_checkin *body, uint64_t created_at,
                               const unsigned char *message_id16) {
    unsigned char buf[DOMAIN_LEN + VIGIL_BASELINE_MAX_BUCKET];
    size_t padded_len = 0;
    int status = build_padded(buf, &padded_len, sender, recipient_signing_pk32, body, created_at, message_id16);
    if (status == VIGIL_BASELINE_OK) {
        if (out_capacity < padded_len) {
            status = VIGIL_BASELINE_OUTPUT_TOO_SMALL;
        } else {
            memcpy(out, buf + DOMAIN_LEN, padded_len);
            *out_len = padded_len;
        }
    }
    sodium_memzero(buf, sizeof buf);
    return status;
}

int vigil_baseline_seal_checkin(unsigned char *out, size_t out_capacity, size_t *out_len,
                                const vigil_baseline_sender *sender, const unsigned char *recipient_signing_pk32,
                                const unsigned char *recipient_encryption_pk32,
                                const vigil_baseline_checkin *body, uint64_t created_at,
                                const unsigned char *message_id16) {
    unsigned char buf[DOMAIN_LEN + VIGIL_BASELINE_MAX_BUCKET];
    size_t padded_len = 0;
    int status = build_padded(buf, &padded_len, sender, recipient_signing_pk32, body, created_at, message_id16);
    if (status != VIGIL_BASELINE_OK) {
        sodium_memzero(buf, sizeof buf);
        return status;
    }
    if (out_capacity < padded_len + crypto_box_SEALBYTES) {
        status = VIGIL_BASELINE_OUTPUT_TOO_SMALL;
    } else if (crypto_box_seal(out, buf + DOMAIN_LEN, padded_len, recipient_encryption_pk32) != 0) {
        status = VIGIL_BASELINE_INVALID_RECIPIENT_KEY;
    } else {
        *out_len = padded_len + crypto_box_SEALBYTES;
    }
    // Wipe what was written: the domain prefix and the padded inner message.
    sodium_memzero(buf, DOMAIN_LEN + padded_len);
    return status;
}

static int open_padded(vigil_baseline_opened *out, unsigned char *buf, size_t padded_len, const unsigned char *sealed,
                       size_t sealed_len, const vigil_baseline_recipient *recipient) {
    unsigned char *inner = buf + DOMAIN_LEN;
    if (crypto_box_seal_open(inner, sealed, sealed_len, recipient->encryption_pk, recipient->encryption_sk) != 0)
        return VIGIL_BASELINE_SEALED_BOX_OPEN_FAILED;

    int is_bucket = 0;
    for (size_t i = 0; i < BUCKET_COUNT; i++) is_bucket |= padded_len == buckets[i];
    size_t inner_len = 0;
    if (!is_bucket || sodium_unpad(&inner_len, inner, padded_len, padded_len) != 0) return VIGIL_BASELINE_BAD_PADDING;

    if (inner_len < 1) return VIGIL_BASELINE_INVALID_LENGTH;
    if (inner[0] != VERSION) return VIGIL_BASELINE_UNSUPPORTED_VERSION;
    if (inner_len < OVERHEAD_LEN) return VIGIL_BASELINE_INVALID_LENGTH;
    const uint64_t body_len = load_u32(inner + OFF_BODY_LEN);
    if (body_len != (uint64_t)(inner_len - OVERHEAD_LEN)) return VIGIL_BASELINE_INVALID_LENGTH;

    const size_t signed_len = inner_len - SIG_LEN;
    const unsigned char *sender_pk = inner + OFF_SENDER;
    if (crypto_core_ed25519_is_valid_point(sender_pk) != 1) return VIGIL_BASELINE_BAD_SIGNATURE;
    memcpy(buf, domain, DOMAIN_LEN);
    if (crypto_sign_verify_detached(inner + signed_len, buf, DOMAIN_LEN + signed_len, sender_pk) != 0)
        return VIGIL_BASELINE_BAD_SIGNATURE;

    if (sodium_memcmp(inner + OFF_RECIPIENT, recipient->signing_pk, 32) != 0) return VIGIL_BASELINE_WRONG_RECIPIENT;

    if (inner[1] != KIND_CHECK_IN) return VIGIL_BASELINE_UNSUPPORTED_KIND;
    int status = checkin_decode(&out->body, inner + HEADER_LEN, (size_t)body_len);
    if (status != VIGIL_BASELINE_OK) return status;

    memcpy(out->message_id, inner + OFF_ID, 16);
    out->kind = inner[1];
    out->created_at = load_u64(inner + OFF_CREATED);
    memcpy(out->sender_signing_pk, sender_pk, 32);
    out->padded_len = padded_len;
    return VIGIL_BASELINE_OK;
}

int vigil_baseline_open_checkin(vigil_baseline_opened *out, const unsigned char *sealed, size_t sealed_len,
                                const vigil_baseline_recipient *recipient) {
    if (sealed_len < crypto_box_SEALBYTES) return VIGIL_BASELINE_SEALED_BOX_OPEN_FAILED;
    const size_t padded_len = sealed_len - crypto_box_SEALBYTES;
    // Heap, like Envelope.open: the box is opened before its size is judged, whatever its size.
    unsigned char *buf = malloc(DOMAIN_LEN + padded_len);
    if (buf == NULL) return VIGIL_BASELINE_OUT_OF_MEMORY;
    int status = open_padded(out, buf, padded_len, sealed, sealed_len, recipient);
    sodium_memzero(buf, DOMAIN_LEN + padded_len);
    free(buf);
    if (status != VIGIL_BASELINE_OK) sodium_memzero(&out->body, sizeof out->body);
    return status;
}

int vigil_baseline_step_sign(unsigned char *signature64, const unsigned char *message, size_t len,
                             const vigil_baseline_sender *sender) {
    return crypto_sign_detached(signature64, NULL, message, len, sender->signing_sk);
}

int vigil_baseline_step_verify(const unsigned char *signature64, const unsigned char *message, size_t len,
                               const unsigned char *signing_pk32) {
    return crypto_sign_verify_detached(signature64, message, len, signing_pk32);
}

int vigil_baseline_step_is_valid_point(const unsigned char *signing_pk32) {
    return crypto_core_ed25519_is_valid_point(signing_pk32);
}

int vigil_baseline_step_box_seal(unsigned char *sealed, const unsigned char *message, size_t len,
                                 const unsigned char *encryption_pk32) {
    return crypto_box_seal(sealed, message, len, encryption_pk32);
}

int vigil_baseline_step_box_seal_open(unsigned char *message, const unsigned char *sealed, size_t sealed_len,
                                      const vigil_baseline_recipient *recipient) {
    return crypto_box_seal_open(message, sealed, sealed_len, recipient->encryption_pk, recipient->encryption_sk);
}

int vigil_baseline_step_random_id(unsigned char *id16) {
    randombytes_buf(id16, 16);
    return 0;
}

int vigil_baseline_step_pad(unsigned char *buf, size_t unpadded_len, size_t block_size) {
    size_t padded_len = 0;
    return sodium_pad(&padded_len, buf, unpadded_len, block_size, block_size);
}

int vigil_baseline_step_unpad(const unsigned char *buf, size_t padded_len) {
    size_t unpadded_len = 0;
    return sodium_unpad(&unpadded_len, buf, padded_len, padded_len);
}
