/*
 * doorlink v1 reference codec for controller firmware (../PROTOCOL.md).
 *
 * C99, no malloc, no global state, byte-wise little-endian access (any host
 * endianness, any alignment). All state lives in caller-owned structs.
 *
 * Build options (-D or define before including, the same for every file):
 *   DL_SMALL       bitwise CRCs instead of 768 bytes of tables (less flash, slower).
 *   DL_MAX_FRAME   largest frame the decoder accepts, 8..512 (default 512,
 *                  PROTOCOL.md §2.4). Every v1 message fits in DL_V1_MAX_FRAME (87)
 *                  bytes, so a RAM-tight receiver may use 87..511; longer frames
 *                  then become length errors (document it, §2.4).
 */
#ifndef DOORLINK_H
#define DOORLINK_H

#include <stddef.h>
#include <stdint.h>

#ifndef DL_MAX_FRAME
#define DL_MAX_FRAME 512
#endif
#if DL_MAX_FRAME < 8 || DL_MAX_FRAME > 512
#error "DL_MAX_FRAME must be within 8..512 (PROTOCOL.md §2.4)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* PROTOCOL.md §2.1, §2.4 */
#define DL_SOM 0xD5u
#define DL_VERSION 1u
#define DL_HEADER_LEN 6u
#define DL_CRC_LEN 2u
#define DL_MIN_FRAME 8u
#define DL_MAX_CREDENTIAL 64u
#define DL_MAX_TEXT 32u
#define DL_MAX_DOORS 16u
/* Largest v1 frame: UNLOCK with a 64-byte credential (8 + 15 + 64). */
#define DL_V1_MAX_FRAME 87u

/* Message TYPE codes (§3). */
typedef enum {
  DL_HELLO = 0x01,
  DL_UNLOCK = 0x10,
  DL_DOOR_STATE = 0x11,
  DL_HEARTBEAT = 0x12,
  DL_AGENT_HELLO = 0x80,
  DL_ACK = 0x81,
  DL_NAK = 0x82,
  DL_TIME_SET = 0x83
} dl_type;

/* UNLOCK method (§3.2); 0 is reserved. */
enum { DL_METHOD_CARD = 1, DL_METHOD_QR, DL_METHOD_FACE, DL_METHOD_PIN, DL_METHOD_REMOTE, DL_METHOD_EXIT_BUTTON };
/* DOOR_STATE state (§3.3). */
enum { DL_STATE_OPENED = 1, DL_STATE_CLOSED, DL_STATE_HELD_OPEN, DL_STATE_FORCED_OPEN };
/* NAK reason (§3.7). */
enum { DL_NAK_STORAGE_UNAVAILABLE = 1, DL_NAK_REJECTED = 2 };
/* HELLO capability bits (§3.1); bits 8..15 are reserved: the encoder refuses them,
 * the decoder clears them (§2.6). */
#define DL_CAP_CARD 0x0001u
#define DL_CAP_QR 0x0002u
#define DL_CAP_FACE 0x0004u
#define DL_CAP_PIN 0x0008u
#define DL_CAP_REMOTE 0x0010u
#define DL_CAP_EXIT_BUTTON 0x0020u
#define DL_CAP_DOOR_SENSOR 0x0040u
#define DL_CAP_TIME_SET 0x0080u
#define DL_CAP_KNOWN 0x00FFu

/* Unix time; 0 s 0 ms means "clock not set" (§3). */
typedef struct {
  uint32_t seconds;
  uint16_t millis; /* 0..999 */
} dl_time;

/* UTF-8 bytes, not NUL-terminated, not validated (the receiver decides). */
typedef struct {
  uint8_t len; /* 0..32 */
  char text[DL_MAX_TEXT];
} dl_text;

typedef struct {
  uint8_t protocol_version; /* >= 1 */
  uint8_t door_count;       /* 1..16 */
  uint16_t capabilities;    /* DL_CAP_* */
  uint16_t ring_capacity;   /* >= 1 */
  uint32_t last_seq;
  dl_text controller_id;
  dl_text firmware;
} dl_hello;

typedef struct {
  uint32_t seq; /* >= 1 */
  dl_time time;
  uint8_t door;    /* 1..16 */
  uint8_t method;  /* DL_METHOD_* */
  uint8_t granted; /* 0 or 1 */
  uint8_t reason;  /* 0 none .. 255 other */
  uint8_t credential_len; /* 0..64 */
  uint8_t credential[DL_MAX_CREDENTIAL];
} dl_unlock;

typedef struct {
  uint32_t seq; /* >= 1 */
  dl_time time;
  uint8_t door;  /* 1..16 */
  uint8_t state; /* DL_STATE_* */
} dl_door_state;

typedef struct {
  dl_time time;
  uint32_t last_seq;
  uint16_t pending;
  uint32_t dropped;
} dl_heartbeat;

typedef struct { uint8_t protocol_version; /* >= 1 */ } dl_agent_hello;
typedef struct { uint32_t seq; /* >= 1 */ } dl_ack;
typedef struct { uint32_t seq; uint8_t reason; /* DL_NAK_* */ } dl_nak;
typedef struct { dl_time time; } dl_time_set;

/* One message: `type` (a dl_type code) says which member of `u` is meant. */
typedef struct {
  uint8_t type;
  union {
    dl_hello hello;
    dl_unlock unlock;
    dl_door_state door_state;
    dl_heartbeat heartbeat;
    dl_agent_hello agent_hello;
    dl_ack ack;
    dl_nak nak;
    dl_time_set time_set;
  } u;
} dl_message;

/* dl_encode failures; each names the field that is out of range. */
typedef enum {
  DL_E_BUFFER = -1, /* out is smaller than the frame */
  DL_E_TYPE = -2,   /* type is not a dl_type */
  DL_E_PROTOCOL_VERSION = -3,
  DL_E_DOOR_COUNT = -4,
  DL_E_CAPABILITIES = -5, /* reserved bits 8..15 set */
  DL_E_RING_CAPACITY = -6,
  DL_E_CONTROLLER_ID = -7, /* longer than 32 bytes */
  DL_E_FIRMWARE = -8,      /* longer than 32 bytes */
  DL_E_SEQ = -9,
  DL_E_TIME = -10, /* millis > 999 */
  DL_E_DOOR = -11,
  DL_E_METHOD = -12,
  DL_E_GRANTED = -13,
  DL_E_CREDENTIAL = -14, /* longer than 64 bytes */
  DL_E_STATE = -15,
  DL_E_REASON = -16 /* NAK reason */
} dl_encode_error;

/* Encodes m as one frame into out[0..cap). Returns the frame length (8..87) or a
 * dl_encode_error; out is written only on success. Validates like payload.ts. */
int dl_encode(const dl_message *m, uint8_t *out, size_t cap);
/* The JSON field name for a dl_encode_error ("doorCount"), "buffer", "type" or "?". */
const char *dl_encode_error_field(int err);

/* Receive errors, PROTOCOL.md §2.7 and §6. */
typedef enum {
  DL_ERR_GARBAGE = 1,   /* a run of bytes outside any frame */
  DL_ERR_CRC = 2,       /* valid header, CRC mismatch: consumes 1 byte */
  DL_ERR_LENGTH = 3,    /* valid header, LEN outside 8..DL_MAX_FRAME: 1 byte */
  DL_ERR_TRUNCATED = 4, /* partial frame abandoned by finish: 1 byte */
  DL_ERR_VERSION = 5,   /* CRC-valid frame, VER != 1: the whole frame */
  DL_ERR_UNKNOWN_TYPE = 6, /* CRC-valid frame, unknown TYPE: the whole frame */
  DL_ERR_BAD_PAYLOAD = 7   /* CRC-valid frame, payload does not fit: the whole frame */
} dl_frame_error;

/* The error's name as in PROTOCOL.md §6 ("unknown-type"), or "?". */
const char *dl_frame_error_name(int error);

typedef enum { DL_EV_MESSAGE = 0, DL_EV_ERROR = 1 } dl_event_kind;

typedef struct {
  uint8_t kind;              /* dl_event_kind */
  uint8_t error;             /* dl_frame_error when kind is DL_EV_ERROR, else 0 */
  uint32_t bytes;            /* input bytes this event accounts for */
  const dl_message *message; /* DL_EV_MESSAGE only; valid during the callback only */
} dl_event;

/* Called for every event, in input order. It must not feed or finish the calling decoder. */
typedef void (*dl_event_cb)(void *ctx, const dl_event *ev);

/* Same meaning as the TypeScript parser's counters. They wrap at 2^32. */
typedef struct {
  uint32_t bytes_in;
  uint32_t frame_bytes;     /* bytes of CRC-valid frames, rejected ones included */
  uint32_t discarded_bytes; /* bytes that belonged to no CRC-valid frame */
  uint32_t messages;
  uint32_t garbage; /* garbage events (runs), not bytes */
  uint32_t crc;
  uint32_t length;
  uint32_t truncated;
  uint32_t version;
  uint32_t unknown_type;
  uint32_t bad_payload;
} dl_counters;

/* Receiver state, about DL_MAX_FRAME + 52 bytes of RAM. Initialise with dl_decoder_init. */
typedef struct {
  uint8_t buf[DL_MAX_FRAME]; /* start of an incomplete frame; held < DL_MAX_FRAME between calls */
  uint16_t held;
  uint32_t garbage_run; /* discarded bytes not reported yet */
  dl_counters counters;
} dl_decoder;

void dl_decoder_init(dl_decoder *d);
/* Decodes what it can of data; a partial frame stays held for the next call. Garbage is
 * reported as one event per run, flushed before any other event and at the end of the call. */
void dl_decoder_feed(dl_decoder *d, const uint8_t *data, size_t len, dl_event_cb cb, void *ctx);
/* End of input, or the line was silent for the inter-byte timeout (250 ms, §5): abandons
 * the held partial frame and rescans inside it (§2.7 step 7). The decoder stays usable. */
void dl_decoder_finish(dl_decoder *d, dl_event_cb cb, void *ctx);

/* CRC-16/IBM-3740 (init 0xFFFF) and CRC-8/SMBUS (init 0x00), §2.3 and §2.5.
 * dl_crc16_update continues a CRC over more bytes: dl_crc16(d, n) == dl_crc16_update(0xFFFF, d, n). */
uint16_t dl_crc16(const uint8_t *data, size_t len);
uint16_t dl_crc16_update(uint16_t crc, const uint8_t *data, size_t len);
uint8_t dl_crc8(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DOORLINK_H */
