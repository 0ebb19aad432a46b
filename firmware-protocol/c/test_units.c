/*
 * Unit checks the vectors cannot reach: CRC check values, every dl_encode error and
 * its field name, buffer bounds, decoder reuse. Run by `test_vectors` on a "selftest"
 * line; each failure prints {"selftestFailure":"<what>"}.
 */
#include <stdio.h>
#include <string.h>

#include "doorlink.h"

int run_selftest(void);

static int failed;

static void check(int ok, const char *what) {
  if (ok) return;
  failed++;
  printf("{\"selftestFailure\":\"%s\"}\n", what);
}

static dl_message valid(uint8_t type) {
  dl_message m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.u.hello.protocol_version = 1; /* every member starts with a 1 where 0 is invalid */
  switch (type) {
    case DL_HELLO: m.u.hello.door_count = 1; m.u.hello.ring_capacity = 1; break;
    case DL_UNLOCK: m.u.unlock.door = 1; m.u.unlock.method = DL_METHOD_CARD; break;
    case DL_DOOR_STATE: m.u.door_state.door = 1; m.u.door_state.state = DL_STATE_OPENED; break;
    case DL_NAK: m.u.nak.reason = DL_NAK_REJECTED; break;
    default: break;
  }
  return m;
}

/* Encodes m into a canary-filled buffer: expects `want`, and no byte written on error. */
static void expect_encode(const dl_message *m, int want, const char *what) {
  uint8_t out[DL_V1_MAX_FRAME + 1];
  size_t i;
  int got, untouched = 1;
  memset(out, 0xAA, sizeof out);
  got = dl_encode(m, out, sizeof out - 1);
  for (i = want < 0 ? 0 : (size_t)want; i < sizeof out; i++) untouched &= out[i] == 0xAA;
  check(got == want && untouched, what);
}

static void check_encode_errors(void) {
  static const uint8_t types[] = {DL_HELLO, DL_UNLOCK, DL_DOOR_STATE, DL_HEARTBEAT,
                                  DL_AGENT_HELLO, DL_ACK, DL_NAK, DL_TIME_SET};
  static const int lengths[] = {20, 23, 20, 24, 9, 12, 13, 14};
  dl_message m;
  size_t i;
  for (i = 0; i < sizeof types; i++) {
    m = valid(types[i]);
    expect_encode(&m, lengths[i], "valid message of each type encodes");
  }
  m = valid(DL_HELLO); m.u.hello.protocol_version = 0; expect_encode(&m, DL_E_PROTOCOL_VERSION, "hello protocolVersion 0");
  m = valid(DL_HELLO); m.u.hello.door_count = 17; expect_encode(&m, DL_E_DOOR_COUNT, "hello doorCount 17");
  m = valid(DL_HELLO); m.u.hello.door_count = 0; expect_encode(&m, DL_E_DOOR_COUNT, "hello doorCount 0");
  m = valid(DL_HELLO); m.u.hello.capabilities = 0x100; expect_encode(&m, DL_E_CAPABILITIES, "hello reserved capability");
  m = valid(DL_HELLO); m.u.hello.ring_capacity = 0; expect_encode(&m, DL_E_RING_CAPACITY, "hello ringCapacity 0");
  m = valid(DL_HELLO); m.u.hello.controller_id.len = 33; expect_encode(&m, DL_E_CONTROLLER_ID, "hello controllerId 33");
  m = valid(DL_HELLO); m.u.hello.firmware.len = 33; expect_encode(&m, DL_E_FIRMWARE, "hello firmware 33");
  m = valid(DL_HELLO); m.u.hello.controller_id.len = 32; m.u.hello.firmware.len = 32; expect_encode(&m, 84, "hello max texts");
  m = valid(DL_UNLOCK); m.u.unlock.seq = 0; expect_encode(&m, DL_E_SEQ, "unlock seq 0");
  m = valid(DL_UNLOCK); m.u.unlock.time.millis = 1000; expect_encode(&m, DL_E_TIME, "unlock millis 1000");
  m = valid(DL_UNLOCK); m.u.unlock.door = 0; expect_encode(&m, DL_E_DOOR, "unlock door 0");
  m = valid(DL_UNLOCK); m.u.unlock.method = 7; expect_encode(&m, DL_E_METHOD, "unlock method 7");
  m = valid(DL_UNLOCK); m.u.unlock.method = 0; expect_encode(&m, DL_E_METHOD, "unlock method 0");
  m = valid(DL_UNLOCK); m.u.unlock.granted = 2; expect_encode(&m, DL_E_GRANTED, "unlock granted 2");
  m = valid(DL_UNLOCK); m.u.unlock.credential_len = 65; expect_encode(&m, DL_E_CREDENTIAL, "unlock credential 65");
  m = valid(DL_UNLOCK); m.u.unlock.credential_len = 64; expect_encode(&m, (int)DL_V1_MAX_FRAME, "unlock credential 64");
  m = valid(DL_DOOR_STATE); m.u.door_state.state = 5; expect_encode(&m, DL_E_STATE, "door-state state 5");
  m = valid(DL_DOOR_STATE); m.u.door_state.door = 17; expect_encode(&m, DL_E_DOOR, "door-state door 17");
  m = valid(DL_HEARTBEAT); m.u.heartbeat.time.millis = 0xFFFF; expect_encode(&m, DL_E_TIME, "heartbeat millis");
  m = valid(DL_AGENT_HELLO); m.u.agent_hello.protocol_version = 0; expect_encode(&m, DL_E_PROTOCOL_VERSION, "agent-hello 0");
  m = valid(DL_ACK); m.u.ack.seq = 0; expect_encode(&m, DL_E_SEQ, "ack seq 0");
  m = valid(DL_NAK); m.u.nak.reason = 3; expect_encode(&m, DL_E_REASON, "nak reason 3");
  m = valid(DL_TIME_SET); m.u.time_set.time.millis = 1000; expect_encode(&m, DL_E_TIME, "time-set millis 1000");
  m = valid(0x7E); expect_encode(&m, DL_E_TYPE, "unknown type");
  m = valid(DL_UNLOCK); m.u.unlock.seq = 0; m.u.unlock.door = 0; expect_encode(&m, DL_E_SEQ, "first bad field wins");
}

static void check_buffer_and_names(void) {
  static const uint8_t ack1[] = {0xD5, 0x01, 0x0C, 0x00, 0x81, 0x62, 0x01, 0x00, 0x00, 0x00, 0x0E, 0x61};
  uint8_t out[12];
  dl_message m = valid(DL_ACK);
  m.u.ack.seq = 1;
  check(dl_encode(&m, out, 11) == DL_E_BUFFER, "cap one short is DL_E_BUFFER");
  check(dl_encode(&m, out, 12) == 12 && memcmp(out, ack1, 12) == 0, "PROTOCOL.md 2.5 ACK example");
  check(strcmp(dl_encode_error_field(DL_E_BUFFER), "buffer") == 0, "field name buffer");
  check(strcmp(dl_encode_error_field(DL_E_DOOR_COUNT), "doorCount") == 0, "field name doorCount");
  check(strcmp(dl_encode_error_field(DL_E_REASON), "reason") == 0, "field name reason");
  check(strcmp(dl_encode_error_field(-17), "?") == 0 && strcmp(dl_encode_error_field(0), "?") == 0, "field name ?");
  check(strcmp(dl_frame_error_name(DL_ERR_UNKNOWN_TYPE), "unknown-type") == 0, "error name unknown-type");
  check(strcmp(dl_frame_error_name(0), "?") == 0 && strcmp(dl_frame_error_name(8), "?") == 0, "error name ?");
}

static void check_crcs(void) {
  static const uint8_t digits[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  check(dl_crc16(digits, 9) == 0x29B1u, "crc16 check value 0x29B1");
  check(dl_crc8(digits, 9) == 0xF4u, "crc8 check value 0xF4");
  check(dl_crc16_update(dl_crc16(digits, 4), digits + 4, 5) == 0x29B1u, "crc16_update continues");
  check(dl_crc16(digits, 0) == 0xFFFFu && dl_crc8(digits, 0) == 0u, "crc of nothing is init");
}

typedef struct {
  int events, messages;
} tally;

static void count(void *ctx, const dl_event *ev) {
  tally *t = (tally *)ctx;
  t->events++;
  t->messages += ev->kind == DL_EV_MESSAGE;
}

static void check_decoder(void) {
  static const uint8_t ack1[] = {0xD5, 0x01, 0x0C, 0x00, 0x81, 0x62, 0x01, 0x00, 0x00, 0x00, 0x0E, 0x61};
  dl_decoder d;
  tally t = {0, 0};
  dl_decoder_init(&d);
  dl_decoder_feed(&d, ack1, 0, count, &t);
  dl_decoder_finish(&d, count, &t);
  check(t.events == 0 && d.held == 0, "empty feed and finish emit nothing");
  dl_decoder_feed(&d, ack1, 11, count, &t);
  check(t.events == 0 && d.held == 11, "a partial frame is held");
  dl_decoder_finish(&d, count, &t);
  check(t.events == 2 && d.held == 0 && d.counters.truncated == 1 && d.counters.garbage == 1, "finish abandons it");
  dl_decoder_feed(&d, ack1, sizeof ack1, count, &t);
  check(t.messages == 1 && d.counters.bytes_in == 23, "the decoder is usable after finish");
  check(sizeof d.buf == DL_MAX_FRAME, "buffer is DL_MAX_FRAME");
}

int run_selftest(void) {
  failed = 0;
  check_crcs();
  check_encode_errors();
  check_buffer_and_names();
  check_decoder();
  return failed;
}
