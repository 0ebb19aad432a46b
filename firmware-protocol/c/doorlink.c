/* doorlink v1 reference codec. API and build options: doorlink.h; wire format: ../PROTOCOL.md. */
#include "doorlink.h"

#include <string.h>

/* ---- CRCs, PROTOCOL.md §2.3 and §2.5 ---- */

#ifdef DL_SMALL
uint16_t dl_crc16_update(uint16_t crc, const uint8_t *data, size_t len) {
  size_t i;
  unsigned bit;
  for (i = 0; i < len; i++) {
    crc = (uint16_t)(crc ^ ((unsigned)data[i] << 8));
    for (bit = 0; bit < 8u; bit++) crc = (uint16_t)((crc & 0x8000u) ? ((unsigned)crc << 1) ^ 0x1021u : (unsigned)crc << 1);
  }
  return crc;
}

uint8_t dl_crc8(const uint8_t *data, size_t len) {
  uint8_t crc = 0;
  size_t i;
  unsigned bit;
  for (i = 0; i < len; i++) {
    crc = (uint8_t)(crc ^ data[i]);
    for (bit = 0; bit < 8u; bit++) crc = (uint8_t)((crc & 0x80u) ? ((unsigned)crc << 1) ^ 0x07u : (unsigned)crc << 1);
  }
  return crc;
}
#else
/* T16[n] is the bitwise loop above run on n << 8; T8[n] the same on n. */
static const uint16_t T16[256] = {
    0x0000u, 0x1021u, 0x2042u, 0x3063u, 0x4084u, 0x50A5u, 0x60C6u, 0x70E7u,
    0x8108u, 0x9129u, 0xA14Au, 0xB16Bu, 0xC18Cu, 0xD1ADu, 0xE1CEu, 0xF1EFu,
    0x1231u, 0x0210u, 0x3273u, 0x2252u, 0x52B5u, 0x4294u, 0x72F7u, 0x62D6u,
    0x9339u, 0x8318u, 0xB37Bu, 0xA35Au, 0xD3BDu, 0xC39Cu, 0xF3FFu, 0xE3DEu,
    0x2462u, 0x3443u, 0x0420u, 0x1401u, 0x64E6u, 0x74C7u, 0x44A4u, 0x5485u,
    0xA56Au, 0xB54Bu, 0x8528u, 0x9509u, 0xE5EEu, 0xF5CFu, 0xC5ACu, 0xD58Du,
    0x3653u, 0x2672u, 0x1611u, 0x0630u, 0x76D7u, 0x66F6u, 0x5695u, 0x46B4u,
    0xB75Bu, 0xA77Au, 0x9719u, 0x8738u, 0xF7DFu, 0xE7FEu, 0xD79Du, 0xC7BCu,
    0x48C4u, 0x58E5u, 0x6886u, 0x78A7u, 0x0840u, 0x1861u, 0x2802u, 0x3823u,
    0xC9CCu, 0xD9EDu, 0xE98Eu, 0xF9AFu, 0x8948u, 0x9969u, 0xA90Au, 0xB92Bu,
    0x5AF5u, 0x4AD4u, 0x7AB7u, 0x6A96u, 0x1A71u, 0x0A50u, 0x3A33u, 0x2A12u,
    0xDBFDu, 0xCBDCu, 0xFBBFu, 0xEB9Eu, 0x9B79u, 0x8B58u, 0xBB3Bu, 0xAB1Au,
    0x6CA6u, 0x7C87u, 0x4CE4u, 0x5CC5u, 0x2C22u, 0x3C03u, 0x0C60u, 0x1C41u,
    0xEDAEu, 0xFD8Fu, 0xCDECu, 0xDDCDu, 0xAD2Au, 0xBD0Bu, 0x8D68u, 0x9D49u,
    0x7E97u, 0x6EB6u, 0x5ED5u, 0x4EF4u, 0x3E13u, 0x2E32u, 0x1E51u, 0x0E70u,
    0xFF9Fu, 0xEFBEu, 0xDFDDu, 0xCFFCu, 0xBF1Bu, 0xAF3Au, 0x9F59u, 0x8F78u,
    0x9188u, 0x81A9u, 0xB1CAu, 0xA1EBu, 0xD10Cu, 0xC12Du, 0xF14Eu, 0xE16Fu,
    0x1080u, 0x00A1u, 0x30C2u, 0x20E3u, 0x5004u, 0x4025u, 0x7046u, 0x6067u,
    0x83B9u, 0x9398u, 0xA3FBu, 0xB3DAu, 0xC33Du, 0xD31Cu, 0xE37Fu, 0xF35Eu,
    0x02B1u, 0x1290u, 0x22F3u, 0x32D2u, 0x4235u, 0x5214u, 0x6277u, 0x7256u,
    0xB5EAu, 0xA5CBu, 0x95A8u, 0x8589u, 0xF56Eu, 0xE54Fu, 0xD52Cu, 0xC50Du,
    0x34E2u, 0x24C3u, 0x14A0u, 0x0481u, 0x7466u, 0x6447u, 0x5424u, 0x4405u,
    0xA7DBu, 0xB7FAu, 0x8799u, 0x97B8u, 0xE75Fu, 0xF77Eu, 0xC71Du, 0xD73Cu,
    0x26D3u, 0x36F2u, 0x0691u, 0x16B0u, 0x6657u, 0x7676u, 0x4615u, 0x5634u,
    0xD94Cu, 0xC96Du, 0xF90Eu, 0xE92Fu, 0x99C8u, 0x89E9u, 0xB98Au, 0xA9ABu,
    0x5844u, 0x4865u, 0x7806u, 0x6827u, 0x18C0u, 0x08E1u, 0x3882u, 0x28A3u,
    0xCB7Du, 0xDB5Cu, 0xEB3Fu, 0xFB1Eu, 0x8BF9u, 0x9BD8u, 0xABBBu, 0xBB9Au,
    0x4A75u, 0x5A54u, 0x6A37u, 0x7A16u, 0x0AF1u, 0x1AD0u, 0x2AB3u, 0x3A92u,
    0xFD2Eu, 0xED0Fu, 0xDD6Cu, 0xCD4Du, 0xBDAAu, 0xAD8Bu, 0x9DE8u, 0x8DC9u,
    0x7C26u, 0x6C07u, 0x5C64u, 0x4C45u, 0x3CA2u, 0x2C83u, 0x1CE0u, 0x0CC1u,
    0xEF1Fu, 0xFF3Eu, 0xCF5Du, 0xDF7Cu, 0xAF9Bu, 0xBFBAu, 0x8FD9u, 0x9FF8u,
    0x6E17u, 0x7E36u, 0x4E55u, 0x5E74u, 0x2E93u, 0x3EB2u, 0x0ED1u, 0x1EF0u
};

static const uint8_t T8[256] = {
    0x00u, 0x07u, 0x0Eu, 0x09u, 0x1Cu, 0x1Bu, 0x12u, 0x15u, 0x38u, 0x3Fu, 0x36u, 0x31u,
    0x24u, 0x23u, 0x2Au, 0x2Du, 0x70u, 0x77u, 0x7Eu, 0x79u, 0x6Cu, 0x6Bu, 0x62u, 0x65u,
    0x48u, 0x4Fu, 0x46u, 0x41u, 0x54u, 0x53u, 0x5Au, 0x5Du, 0xE0u, 0xE7u, 0xEEu, 0xE9u,
    0xFCu, 0xFBu, 0xF2u, 0xF5u, 0xD8u, 0xDFu, 0xD6u, 0xD1u, 0xC4u, 0xC3u, 0xCAu, 0xCDu,
    0x90u, 0x97u, 0x9Eu, 0x99u, 0x8Cu, 0x8Bu, 0x82u, 0x85u, 0xA8u, 0xAFu, 0xA6u, 0xA1u,
    0xB4u, 0xB3u, 0xBAu, 0xBDu, 0xC7u, 0xC0u, 0xC9u, 0xCEu, 0xDBu, 0xDCu, 0xD5u, 0xD2u,
    0xFFu, 0xF8u, 0xF1u, 0xF6u, 0xE3u, 0xE4u, 0xEDu, 0xEAu, 0xB7u, 0xB0u, 0xB9u, 0xBEu,
    0xABu, 0xACu, 0xA5u, 0xA2u, 0x8Fu, 0x88u, 0x81u, 0x86u, 0x93u, 0x94u, 0x9Du, 0x9Au,
    0x27u, 0x20u, 0x29u, 0x2Eu, 0x3Bu, 0x3Cu, 0x35u, 0x32u, 0x1Fu, 0x18u, 0x11u, 0x16u,
    0x03u, 0x04u, 0x0Du, 0x0Au, 0x57u, 0x50u, 0x59u, 0x5Eu, 0x4Bu, 0x4Cu, 0x45u, 0x42u,
    0x6Fu, 0x68u, 0x61u, 0x66u, 0x73u, 0x74u, 0x7Du, 0x7Au, 0x89u, 0x8Eu, 0x87u, 0x80u,
    0x95u, 0x92u, 0x9Bu, 0x9Cu, 0xB1u, 0xB6u, 0xBFu, 0xB8u, 0xADu, 0xAAu, 0xA3u, 0xA4u,
    0xF9u, 0xFEu, 0xF7u, 0xF0u, 0xE5u, 0xE2u, 0xEBu, 0xECu, 0xC1u, 0xC6u, 0xCFu, 0xC8u,
    0xDDu, 0xDAu, 0xD3u, 0xD4u, 0x69u, 0x6Eu, 0x67u, 0x60u, 0x75u, 0x72u, 0x7Bu, 0x7Cu,
    0x51u, 0x56u, 0x5Fu, 0x58u, 0x4Du, 0x4Au, 0x43u, 0x44u, 0x19u, 0x1Eu, 0x17u, 0x10u,
    0x05u, 0x02u, 0x0Bu, 0x0Cu, 0x21u, 0x26u, 0x2Fu, 0x28u, 0x3Du, 0x3Au, 0x33u, 0x34u,
    0x4Eu, 0x49u, 0x40u, 0x47u, 0x52u, 0x55u, 0x5Cu, 0x5Bu, 0x76u, 0x71u, 0x78u, 0x7Fu,
    0x6Au, 0x6Du, 0x64u, 0x63u, 0x3Eu, 0x39u, 0x30u, 0x37u, 0x22u, 0x25u, 0x2Cu, 0x2Bu,
    0x06u, 0x01u, 0x08u, 0x0Fu, 0x1Au, 0x1Du, 0x14u, 0x13u, 0xAEu, 0xA9u, 0xA0u, 0xA7u,
    0xB2u, 0xB5u, 0xBCu, 0xBBu, 0x96u, 0x91u, 0x98u, 0x9Fu, 0x8Au, 0x8Du, 0x84u, 0x83u,
    0xDEu, 0xD9u, 0xD0u, 0xD7u, 0xC2u, 0xC5u, 0xCCu, 0xCBu, 0xE6u, 0xE1u, 0xE8u, 0xEFu,
    0xFAu, 0xFDu, 0xF4u, 0xF3u
};

uint16_t dl_crc16_update(uint16_t crc, const uint8_t *data, size_t len) {
  size_t i;
  for (i = 0; i < len; i++) crc = (uint16_t)(((unsigned)crc << 8) ^ T16[(((unsigned)crc >> 8) ^ data[i]) & 0xFFu]);
  return crc;
}

uint8_t dl_crc8(const uint8_t *data, size_t len) {
  uint8_t crc = 0;
  size_t i;
  for (i = 0; i < len; i++) crc = T8[crc ^ data[i]];
  return crc;
}
#endif

uint16_t dl_crc16(const uint8_t *data, size_t len) { return dl_crc16_update(0xFFFFu, data, len); }

/* ---- little-endian access one byte at a time: no alignment or host-order assumption ---- */

static uint16_t get16(const uint8_t *p) { return (uint16_t)((unsigned)p[0] | ((unsigned)p[1] << 8)); }

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint8_t *put8(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v & 0xFFu);
  return p + 1;
}

static uint8_t *put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v & 0xFFu);
  p[1] = (uint8_t)((v >> 8) & 0xFFu);
  return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xFFu);
  p[1] = (uint8_t)((v >> 8) & 0xFFu);
  p[2] = (uint8_t)((v >> 16) & 0xFFu);
  p[3] = (uint8_t)((v >> 24) & 0xFFu);
  return p + 4;
}

static uint8_t *put_time(uint8_t *p, dl_time t) { return put16(put32(p, t.seconds), t.millis); }

static uint8_t *put_span(uint8_t *p, const void *src, uint8_t n) {
  p = put8(p, n);
  memcpy(p, src, n);
  return p + n;
}

/* ---- encoder: the checks and their order are those of payload.ts encodePayload ---- */

static int in_range(unsigned v, unsigned lo, unsigned hi) { return v >= lo && v <= hi; }

/* Payload length of a valid m, or the dl_encode_error of its first bad field. */
static int payload_length(const dl_message *m) {
  switch (m->type) {
    case DL_HELLO: {
      const dl_hello *h = &m->u.hello;
      if (h->protocol_version < 1u) return DL_E_PROTOCOL_VERSION;
      if (!in_range(h->door_count, 1u, DL_MAX_DOORS)) return DL_E_DOOR_COUNT;
      if ((h->capabilities & ~DL_CAP_KNOWN) != 0u) return DL_E_CAPABILITIES; /* §2.6 reserved bits */
      if (h->ring_capacity < 1u) return DL_E_RING_CAPACITY;
      if (h->controller_id.len > DL_MAX_TEXT) return DL_E_CONTROLLER_ID;
      if (h->firmware.len > DL_MAX_TEXT) return DL_E_FIRMWARE;
      return 12 + h->controller_id.len + h->firmware.len;
    }
    case DL_UNLOCK: {
      const dl_unlock *u = &m->u.unlock;
      if (u->seq < 1u) return DL_E_SEQ;
      if (u->time.millis > 999u) return DL_E_TIME;
      if (!in_range(u->door, 1u, DL_MAX_DOORS)) return DL_E_DOOR;
      if (!in_range(u->method, DL_METHOD_CARD, DL_METHOD_EXIT_BUTTON)) return DL_E_METHOD;
      if (u->granted > 1u) return DL_E_GRANTED;
      if (u->credential_len > DL_MAX_CREDENTIAL) return DL_E_CREDENTIAL;
      return 15 + u->credential_len;
    }
    case DL_DOOR_STATE: {
      const dl_door_state *s = &m->u.door_state;
      if (s->seq < 1u) return DL_E_SEQ;
      if (s->time.millis > 999u) return DL_E_TIME;
      if (!in_range(s->door, 1u, DL_MAX_DOORS)) return DL_E_DOOR;
      if (!in_range(s->state, DL_STATE_OPENED, DL_STATE_FORCED_OPEN)) return DL_E_STATE;
      return 12;
    }
    case DL_HEARTBEAT:
      return m->u.heartbeat.time.millis > 999u ? DL_E_TIME : 16;
    case DL_AGENT_HELLO:
      return m->u.agent_hello.protocol_version < 1u ? DL_E_PROTOCOL_VERSION : 1;
    case DL_ACK:
      return m->u.ack.seq < 1u ? DL_E_SEQ : 4;
    case DL_NAK:
      if (m->u.nak.seq < 1u) return DL_E_SEQ;
      return in_range(m->u.nak.reason, DL_NAK_STORAGE_UNAVAILABLE, DL_NAK_REJECTED) ? 5 : DL_E_REASON;
    case DL_TIME_SET:
      return m->u.time_set.time.millis > 999u ? DL_E_TIME : 6;
    default:
      return DL_E_TYPE;
  }
}

static void put_payload(uint8_t *p, const dl_message *m) {
  switch (m->type) {
    case DL_HELLO: {
      const dl_hello *h = &m->u.hello;
      p = put16(put8(put8(p, h->protocol_version), h->door_count), h->capabilities);
      p = put32(put16(p, h->ring_capacity), h->last_seq);
      put_span(put_span(p, h->controller_id.text, h->controller_id.len), h->firmware.text, h->firmware.len);
      break;
    }
    case DL_UNLOCK: {
      const dl_unlock *u = &m->u.unlock;
      p = put8(put8(put_time(put32(p, u->seq), u->time), u->door), u->method);
      put_span(put8(put8(p, u->granted), u->reason), u->credential, u->credential_len);
      break;
    }
    case DL_DOOR_STATE: {
      const dl_door_state *s = &m->u.door_state;
      put8(put8(put_time(put32(p, s->seq), s->time), s->door), s->state);
      break;
    }
    case DL_HEARTBEAT: {
      const dl_heartbeat *b = &m->u.heartbeat;
      put32(put16(put32(put_time(p, b->time), b->last_seq), b->pending), b->dropped);
      break;
    }
    case DL_AGENT_HELLO:
      put8(p, m->u.agent_hello.protocol_version);
      break;
    case DL_ACK:
      put32(p, m->u.ack.seq);
      break;
    case DL_NAK:
      put8(put32(p, m->u.nak.seq), m->u.nak.reason);
      break;
    default: /* DL_TIME_SET: payload_length admitted no other type */
      put_time(p, m->u.time_set.time);
      break;
  }
}

int dl_encode(const dl_message *m, uint8_t *out, size_t cap) {
  int plen = payload_length(m);
  size_t len;
  if (plen < 0) return plen;
  len = DL_MIN_FRAME + (size_t)plen;
  if (cap < len) return DL_E_BUFFER;
  out[0] = DL_SOM; /* PROTOCOL.md §2.1 */
  out[1] = DL_VERSION;
  put16(out + 2, (unsigned)len);
  out[4] = m->type;
  out[5] = dl_crc8(out + 1, 4);
  put_payload(out + DL_HEADER_LEN, m);
  put16(out + len - DL_CRC_LEN, dl_crc16(out, len - DL_CRC_LEN));
  return (int)len;
}

const char *dl_encode_error_field(int err) {
  static const char *const names[] = {"buffer", "type", "protocolVersion", "doorCount", "capabilities",
                                      "ringCapacity", "controllerId", "firmware", "seq", "time", "door",
                                      "method", "granted", "credential", "state", "reason"};
  return err <= -1 && err >= -(int)(sizeof names / sizeof names[0]) ? names[-err - 1] : "?";
}

/* ---- payload decoder: the checks of payload.ts decodePayload; trailing bytes ignored (§2.6) ---- */

typedef struct {
  const uint8_t *p;
  size_t at, end;
  int bad; /* sticky: once set, reads return 0 and the payload is rejected */
} reader;

static const uint8_t *take(reader *r, size_t n) {
  const uint8_t *p = r->p + r->at;
  if (r->bad || r->end - r->at < n) {
    r->bad = 1;
    return NULL;
  }
  r->at += n;
  return p;
}

static uint8_t get_u8(reader *r) {
  const uint8_t *p = take(r, 1);
  return p ? p[0] : 0u;
}

static uint16_t get_u16(reader *r) {
  const uint8_t *p = take(r, 2);
  return p ? get16(p) : 0u;
}

static uint32_t get_u32(reader *r) {
  const uint8_t *p = take(r, 4);
  return p ? get32(p) : 0u;
}

static uint8_t get_ranged(reader *r, unsigned lo, unsigned hi) {
  uint8_t v = get_u8(r);
  if (!in_range(v, lo, hi)) r->bad = 1;
  return v;
}

static uint32_t get_seq(reader *r) {
  uint32_t v = get_u32(r);
  if (v == 0u) r->bad = 1; /* §4.1: 0 is never sent */
  return v;
}

static dl_time get_time(reader *r) {
  dl_time t;
  t.seconds = get_u32(r);
  t.millis = get_u16(r);
  if (t.millis > 999u) r->bad = 1;
  return t;
}

/* A length-prefixed span of at most max bytes, copied to dst; returns its length. */
static uint8_t get_span(reader *r, void *dst, unsigned max) {
  uint8_t n = get_u8(r);
  const uint8_t *p;
  if (n > max) r->bad = 1;
  p = take(r, n);
  if (p == NULL) return 0;
  memcpy(dst, p, n);
  return n;
}

/* Decodes the payload p[0..n) of a CRC-valid v1 frame into m (zeroed first).
 * Returns 0, DL_ERR_UNKNOWN_TYPE or DL_ERR_BAD_PAYLOAD. */
static int decode_payload(uint8_t type, const uint8_t *p, size_t n, dl_message *m) {
  reader r;
  r.p = p;
  r.at = 0;
  r.end = n;
  r.bad = 0;
  memset(m, 0, sizeof *m);
  m->type = type;
  switch (type) {
    case DL_HELLO: {
      dl_hello *h = &m->u.hello;
      h->protocol_version = get_ranged(&r, 1u, 0xFFu);
      h->door_count = get_ranged(&r, 1u, DL_MAX_DOORS);
      h->capabilities = (uint16_t)(get_u16(&r) & DL_CAP_KNOWN); /* reserved bits ignored, §2.6 */
      h->ring_capacity = get_u16(&r);
      if (h->ring_capacity < 1u) r.bad = 1;
      h->last_seq = get_u32(&r);
      h->controller_id.len = get_span(&r, h->controller_id.text, DL_MAX_TEXT);
      h->firmware.len = get_span(&r, h->firmware.text, DL_MAX_TEXT);
      break;
    }
    case DL_UNLOCK: {
      dl_unlock *u = &m->u.unlock;
      u->seq = get_seq(&r);
      u->time = get_time(&r);
      u->door = get_ranged(&r, 1u, DL_MAX_DOORS);
      u->method = get_ranged(&r, DL_METHOD_CARD, DL_METHOD_EXIT_BUTTON);
      u->granted = get_ranged(&r, 0u, 1u);
      u->reason = get_u8(&r);
      u->credential_len = get_span(&r, u->credential, DL_MAX_CREDENTIAL);
      break;
    }
    case DL_DOOR_STATE: {
      dl_door_state *s = &m->u.door_state;
      s->seq = get_seq(&r);
      s->time = get_time(&r);
      s->door = get_ranged(&r, 1u, DL_MAX_DOORS);
      s->state = get_ranged(&r, DL_STATE_OPENED, DL_STATE_FORCED_OPEN);
      break;
    }
    case DL_HEARTBEAT: {
      dl_heartbeat *b = &m->u.heartbeat;
      b->time = get_time(&r);
      b->last_seq = get_u32(&r);
      b->pending = get_u16(&r);
      b->dropped = get_u32(&r);
      break;
    }
    case DL_AGENT_HELLO:
      m->u.agent_hello.protocol_version = get_ranged(&r, 1u, 0xFFu);
      break;
    case DL_ACK:
      m->u.ack.seq = get_seq(&r);
      break;
    case DL_NAK:
      m->u.nak.seq = get_seq(&r);
      m->u.nak.reason = get_ranged(&r, DL_NAK_STORAGE_UNAVAILABLE, DL_NAK_REJECTED);
      break;
    case DL_TIME_SET:
      m->u.time_set.time = get_time(&r);
      break;
    default:
      return DL_ERR_UNKNOWN_TYPE; /* §2.6: skipped and counted, never fatal */
  }
  return r.bad ? DL_ERR_BAD_PAYLOAD : 0;
}

/* ---- receiver, PROTOCOL.md §2.7; event for event the same as parser.ts DoorlinkParser ---- */

static void emit(dl_event_cb cb, void *ctx, int error, uint32_t bytes, const dl_message *m) {
  dl_event ev;
  ev.kind = (uint8_t)(error == 0 ? DL_EV_MESSAGE : DL_EV_ERROR);
  ev.error = (uint8_t)error;
  ev.bytes = bytes;
  ev.message = m;
  cb(ctx, &ev);
}

static void count_error(dl_counters *c, int error) {
  switch (error) {
    case DL_ERR_GARBAGE: c->garbage++; break;
    case DL_ERR_CRC: c->crc++; break;
    case DL_ERR_LENGTH: c->length++; break;
    case DL_ERR_TRUNCATED: c->truncated++; break;
    case DL_ERR_VERSION: c->version++; break;
    case DL_ERR_UNKNOWN_TYPE: c->unknown_type++; break;
    default: c->bad_payload++; break;
  }
}

/* A run of garbage is one event, reported before the next event and at the end of a call. */
static void flush_garbage(dl_decoder *d, dl_event_cb cb, void *ctx) {
  uint32_t n = d->garbage_run;
  if (n == 0u) return;
  d->garbage_run = 0;
  d->counters.discarded_bytes += n;
  count_error(&d->counters, DL_ERR_GARBAGE);
  emit(cb, ctx, DL_ERR_GARBAGE, n, NULL);
}

/* Steps 4, 6, 7: reject a candidate frame by dropping its SOM only, then rescan. */
static void reject(dl_decoder *d, int error, dl_event_cb cb, void *ctx) {
  flush_garbage(d, cb, ctx);
  d->counters.discarded_bytes++;
  count_error(&d->counters, error);
  emit(cb, ctx, error, 1, NULL);
}

/* Step 8: f[0..len) passed HCS and CRC; it is consumed whatever its content. */
static void deliver(dl_decoder *d, const uint8_t *f, size_t len, dl_event_cb cb, void *ctx) {
  dl_message m;
  int error = DL_ERR_VERSION; /* §2.2 */
  flush_garbage(d, cb, ctx);
  d->counters.frame_bytes += (uint32_t)len;
  if (f[1] == DL_VERSION) error = decode_payload(f[4], f + DL_HEADER_LEN, len - DL_MIN_FRAME, &m);
  if (error == 0) d->counters.messages++;
  else count_error(&d->counters, error);
  emit(cb, ctx, error, (uint32_t)len, error == 0 ? &m : NULL);
}

/* Scans the held bytes; `final` means no more bytes will follow them (§2.7 step 7). */
static void scan(dl_decoder *d, int final, dl_event_cb cb, void *ctx) {
  const uint8_t *b = d->buf;
  size_t n = d->held, i = 0;
  while (i < n) {
    size_t avail, len;
    if (b[i] != DL_SOM) { /* step 1 */
      d->garbage_run++;
      i++;
      continue;
    }
    avail = n - i;
    if (avail < DL_HEADER_LEN) { /* step 2 */
      if (!final) break;
      d->garbage_run += (uint32_t)avail;
      i = n;
      break;
    }
    if (dl_crc8(b + i + 1, 4) != b[i + 5]) { /* step 3: a false SOM is garbage */
      d->garbage_run++;
      i++;
      continue;
    }
    len = get16(b + i + 2);
    if (len < DL_MIN_FRAME || len > (size_t)DL_MAX_FRAME) { /* step 4 */
      reject(d, DL_ERR_LENGTH, cb, ctx);
      i++;
      continue;
    }
    if (avail < len) { /* steps 5 and 7 */
      if (!final) break;
      reject(d, DL_ERR_TRUNCATED, cb, ctx);
      i++;
      continue;
    }
    if (dl_crc16(b + i, len - DL_CRC_LEN) != get16(b + i + len - DL_CRC_LEN)) { /* step 6 */
      reject(d, DL_ERR_CRC, cb, ctx);
      i++;
      continue;
    }
    deliver(d, b + i, len, cb, ctx);
    i += len;
  }
  if (i > 0u) {
    memmove(d->buf, d->buf + i, n - i);
    d->held = (uint16_t)(n - i);
  }
}

void dl_decoder_init(dl_decoder *d) { memset(d, 0, sizeof *d); }

void dl_decoder_feed(dl_decoder *d, const uint8_t *data, size_t len, dl_event_cb cb, void *ctx) {
  d->counters.bytes_in += (uint32_t)len;
  while (len > 0u) {
    size_t room = (size_t)DL_MAX_FRAME - d->held;
    if (d->held == 0u && data[0] != DL_SOM) { /* garbage never needs buffering */
      d->garbage_run++;
      data++;
      len--;
      continue;
    }
    if (room > len) room = len;
    memcpy(d->buf + d->held, data, room);
    d->held = (uint16_t)(d->held + room);
    data += room;
    len -= room;
    /* Leaves fewer than DL_MAX_FRAME bytes held: a full buffer always holds a decidable
     * candidate (LEN <= DL_MAX_FRAME), so every pass makes room for at least one byte. */
    scan(d, 0, cb, ctx);
  }
  flush_garbage(d, cb, ctx);
}

void dl_decoder_finish(dl_decoder *d, dl_event_cb cb, void *ctx) {
  scan(d, 1, cb, ctx);
  flush_garbage(d, cb, ctx);
}

const char *dl_frame_error_name(int error) {
  static const char *const names[] = {"garbage", "crc", "length", "truncated", "version", "unknown-type", "bad-payload"};
  return error >= DL_ERR_GARBAGE && error <= DL_ERR_BAD_PAYLOAD ? names[error - 1] : "?";
}
