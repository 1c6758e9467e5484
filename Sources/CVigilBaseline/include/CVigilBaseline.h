// The benchmark's C baseline: envelope format v1 (Protocol/envelope.md) for check-in bodies,
// written directly against libsodium, with the same libsodium calls as
// VigilProtocol's `Envelope.seal` / `Envelope.open`. It exists only so that vigil-bench can
// show how much the Swift layers cost on top of the cryptography; applications use Envelope.
//
// libsodium types never appear here: keys and buffers are plain bytes.
#ifndef CVIGILBASELINE_H
#define CVIGILBASELINE_H

#include <stddef.h>
#include <stdint.h>

// Results. The open checks run in the same order as Envelope.open and report the first failure.
#define VIGIL_BASELINE_OK 0
#define VIGIL_BASELINE_INVALID_BODY 1           // a field of the check-in body breaks its rules
#define VIGIL_BASELINE_BODY_TOO_LARGE 2         // does not fit the largest bucket
#define VIGIL_BASELINE_INVALID_RECIPIENT_KEY 3  // crypto_box_seal refused the key (low order)
#define VIGIL_BASELINE_OUTPUT_TOO_SMALL 4
#define VIGIL_BASELINE_SEALED_BOX_OPEN_FAILED 5
#define VIGIL_BASELINE_BAD_PADDING 6
#define VIGIL_BASELINE_UNSUPPORTED_VERSION 7
#define VIGIL_BASELINE_INVALID_LENGTH 8
#define VIGIL_BASELINE_BAD_SIGNATURE 9
#define VIGIL_BASELINE_WRONG_RECIPIENT 10
#define VIGIL_BASELINE_UNSUPPORTED_KIND 11      // the baseline reads check-ins only
#define VIGIL_BASELINE_OUT_OF_MEMORY 12

#define VIGIL_BASELINE_MAX_NOTE_BYTES 1024
#define VIGIL_BASELINE_MAX_BUCKET 16384
#define VIGIL_BASELINE_SEAL_OVERHEAD 48

/// A sender: the Ed25519 key pair that signs.
typedef struct vigil_baseline_sender {
    unsigned char signing_pk[32];
    unsigned char signing_sk[64];
} vigil_baseline_sender;

/// A recipient: its Ed25519 public key (named inside envelopes) and its X25519 key pair.
typedef struct vigil_baseline_recipient {
    unsigned char signing_pk[32];
    unsigned char encryption_pk[32];
    unsigned char encryption_sk[32];
} vigil_baseline_recipient;

/// A check-in body: `status u8 | flags u8 | note (u16 length, UTF-8) | [lat i32, lon i32]
/// | [next due u64]`. Flag bit 0: location present; bit 1: next due present.
typedef struct vigil_baseline_checkin {
    uint8_t status;
    uint8_t flags;
    int32_t latitude_e7;
    int32_t longitude_e7;
    uint64_t next_due_at;
    size_t note_len;
    unsigned char note[VIGIL_BASELINE_MAX_NOTE_BYTES];
} vigil_baseline_checkin;

/// What a successful open returns (the body copied out).
typedef struct vigil_baseline_opened {
    unsigned char message_id[16];
    uint8_t kind;
    uint64_t created_at;
    unsigned char sender_signing_pk[32];
    size_t padded_len;
    vigil_baseline_checkin body;
} vigil_baseline_opened;

/// sodium_init; 0 on success.
int vigil_baseline_init(void);
/// libsodium's version string.
const char *vigil_baseline_sodium_version(void);
/// A short name for a VIGIL_BASELINE_* result.
const char *vigil_baseline_status_name(int status);

/// The sender key pair of a 32-byte Ed25519 seed (crypto_sign_seed_keypair).
int vigil_baseline_sender_init(vigil_baseline_sender *sender, const unsigned char *seed32);
/// A recipient from its signing public key and X25519 secret key (public key derived).
int vigil_baseline_recipient_init(vigil_baseline_recipient *recipient, const unsigned char *signing_pk32,
                                  const unsigned char *encryption_sk32);
/// Wipes a key structure (sodium_memzero).
void vigil_baseline_wipe(void *keys, size_t size);

/// The padded, signed inner message of a check-in, before sealing: for checking byte for byte
/// that this composition matches the Swift one. `message_id16` NULL means a fresh random ID.
int vigil_baseline_pad_checkin(unsigned char *out, size_t out_capacity, size_t *out_len,
                               const vigil_baseline_sender *sender, const unsigned char *recipient_signing_pk32,
                               const vigil_baseline_checkin *body, uint64_t created_at,
                               const unsigned char *message_id16);

/// Envelope.seal: encode and check the body, build the inner message, sign
/// `domain || inner` (crypto_sign_detached), pad to the bucket (sodium_pad) and seal to the
/// recipient's X25519 key (crypto_box_seal). `message_id16` NULL means a fresh random ID
/// (randombytes_buf), as Envelope.seal does by default.
int vigil_baseline_seal_checkin(unsigned char *out, size_t out_capacity, size_t *out_len,
                                const vigil_baseline_sender *sender, const unsigned char *recipient_signing_pk32,
                                const unsigned char *recipient_encryption_pk32,
                                const vigil_baseline_checkin *body, uint64_t created_at,
                                const unsigned char *message_id16);

/// Envelope.open: crypto_box_seal_open, bucket length, sodium_unpad, version, length fields,
/// sender key validity (crypto_core_ed25519_is_valid_point, as SigningPublicKey's initialiser
/// does), crypto_sign_verify_detached over `domain || inner without signature`, recipient
/// binding (sodium_memcmp), then the check-in body (strict UTF-8 and text rules), copied out.
int vigil_baseline_open_checkin(vigil_baseline_opened *out, const unsigned char *sealed, size_t sealed_len,
                                const vigil_baseline_recipient *recipient);

// Single libsodium steps, timed on their own for the cost breakdown.
int vigil_baseline_step_sign(unsigned char *signature64, const unsigned char *message, size_t len,
                             const vigil_baseline_sender *sender);
int vigil_baseline_step_verify(const unsigned char *signature64, const unsigned char *message, size_t len,
                               const unsigned char *signing_pk32);
int vigil_baseline_step_is_valid_point(const unsigned char *signing_pk32);
int vigil_baseline_step_box_seal(unsigned char *sealed, const unsigned char *message, size_t len,
                                 const unsigned char *encryption_pk32);
/// randombytes_buf of 16 bytes (a message ID).
int vigil_baseline_step_random_id(unsigned char *id16);
/// sodium_pad of `unpadded_len` bytes in `buf` to `block_size` (`buf` holds `block_size` bytes).
int vigil_baseline_step_pad(unsigned char *buf, size_t unpadded_len, size_t block_size);
/// sodium_unpad of `padded_len` bytes with block size `padded_len`.
int vigil_baseline_step_unpad(const unsigned char *buf, size_t padded_len);
int vigil_baseline_step_box_seal_open(unsigned char *message, const unsigned char *sealed, size_t sealed_len,
                                      const vigil_baseline_recipient *recipient);

#endif
