/*
 * Harness for the golden vectors and the differential tests (../src/c-reference.test.ts).
 * Reads lines "<mode> <hex>" on stdin:
 *   whole <hex>     feed all bytes in one call, then finish
 *   bytewise <hex>  feed one byte per call, then finish
 *   encode <hex>    as whole, and after every message a line {"hex":"..."} with the
 *                   message re-encoded from its struct (or {"encodeError":"<field>"})
 *   selftest        the checks of test_units.c
 * Each event is one JSON line in the form of ../src/json.ts, serialised like
 * JSON.stringify: {"message":{...}} or {"error":"crc","bytes":1}. Every input line ends
 * with {"end":true,"counters":{...}}. A malformed input line prints {"fatal":"..."}.
 */
#include <stdio.h>
#include <string.h>

#include "doorlink.h"

int run_selftest(void); /* test_units.c */

#define MAX_LINE (1u << 21)

static const char *const METHODS[] = {"card", "qr", "face", "pin", "remote", "exit-button"};
static const char *const STATES[] = {"opened", "closed", "held-open", "forced-open"};
static const char *const NAK_REASONS[] = {"storage-unavailable", "rejected"};
static const char *const CAPABILITIES[] = {"card", "qr", "face", "pin", "remote", "exit-button", "door-sensor", "time-set"};

static void put_code_point(unsigned long cp) {
  if (cp == '"' || cp == '\\') {
    printf("\\%c", (int)cp);
  } else if (cp < 0x20u) { /* JSON.stringify's short escapes, else \u00xx */
    const char *shortcut = strchr("\b\f\n\r\t", (int)cp);
    if (cp != 0u && shortcut != NULL) printf("\\%c", "bfnrt"[shortcut - "\b\f\n\r\t"]);
    else printf("\\u%04lx", cp);
  } else if (cp < 0x80u) {
    putchar((int)cp);
  } else if (cp < 0x800u) {
    printf("%c%c", (int)(0xC0u | (cp >> 6)), (int)(0x80u | (cp & 0x3Fu)));
  } else if (cp < 0x10000u) {
    printf("%c%c%c", (int)(0xE0u | (cp >> 12)), (int)(0x80u | ((cp >> 6) & 0x3Fu)), (int)(0x80u | (cp & 0x3Fu)));
  } else {
    printf("%c%c%c%c", (int)(0xF0u | (cp >> 18)), (int)(0x80u | ((cp >> 12) & 0x3Fu)),
           (int)(0x80u | ((cp >> 6) & 0x3Fu)), (int)(0x80u | (cp & 0x3Fu)));
  }
}

/* A JSON string of UTF-8 bytes decoded the way Node's buf.toString('utf8') does: the
 * WHATWG decoder, one U+FFFD per maximal invalid subpart. */
static void put_text(const dl_text *t) {
  unsigned long cp = 0;
  unsigned need = 0, lower = 0x80u, upper = 0xBFu;
  size_t i = 0;
  putchar('"');
  while (i < t->len) {
    unsigned b = (unsigned char)t->text[i];
    if (need == 0u) {
      i++;
      if (b < 0x80u) put_code_point(b);
      else if (b >= 0xC2u && b <= 0xDFu) { need = 1; cp = b & 0x1Fu; }
      else if (b >= 0xE0u && b <= 0xEFu) {
        if (b == 0xE0u) lower = 0xA0u;
        if (b == 0xEDu) upper = 0x9Fu;
        need = 2;
        cp = b & 0x0Fu;
      } else if (b >= 0xF0u && b <= 0xF4u) {
        if (b == 0xF0u) lower = 0x90u;
        if (b == 0xF4u) upper = 0x8Fu;
        need = 3;
        cp = b & 0x07u;
      } else put_code_point(0xFFFDu);
      continue;
    }
    if (b < lower || b > upper) { /* not consumed: it starts the next sequence */
      need = 0;
      lower = 0x80u;
      upper = 0xBFu;
      put_code_point(0xFFFDu);
      continue;
    }
    i++;
    lower = 0x80u;
    upper = 0xBFu;
    cp = (cp << 6) | (b & 0x3Fu);
    if (--need == 0u) put_code_point(cp);
  }
  if (need != 0u) put_code_point(0xFFFDu);
  putchar('"');
}

static unsigned long long ms(dl_time t) { return (unsigned long long)t.seconds * 1000u + t.millis; }

static void put_message(const dl_message *m) {
  switch (m->type) {
    case DL_HELLO: {
      const dl_hello *h = &m->u.hello;
      unsigned bit;
      const char *sep = "";
      printf("{\"type\":\"hello\",\"protocolVersion\":%u,\"doorCount\":%u,\"capabilities\":[", h->protocol_version,
             h->door_count);
      for (bit = 0; bit < 8u; bit++) {
        if (h->capabilities & (1u << bit)) {
          printf("%s\"%s\"", sep, CAPABILITIES[bit]);
          sep = ",";
        }
      }
      printf("],\"ringCapacity\":%u,\"lastSeq\":%lu,\"controllerId\":", h->ring_capacity, (unsigned long)h->last_seq);
      put_text(&h->controller_id);
      printf(",\"firmware\":");
      put_text(&h->firmware);
      putchar('}');
      break;
    }
    case DL_UNLOCK: {
      const dl_unlock *u = &m->u.unlock;
      unsigned i;
      printf("{\"type\":\"unlock\",\"seq\":%lu,\"time\":%llu,\"door\":%u,\"method\":\"%s\",\"granted\":%s,"
             "\"reason\":%u,\"credential\":\"",
             (unsigned long)u->seq, ms(u->time), u->door, METHODS[u->method - 1], u->granted ? "true" : "false",
             u->reason);
      for (i = 0; i < u->credential_len; i++) printf("%02x", u->credential[i]);
      printf("\"}");
      break;
    }
    case DL_DOOR_STATE: {
      const dl_door_state *s = &m->u.door_state;
      printf("{\"type\":\"door-state\",\"seq\":%lu,\"time\":%llu,\"door\":%u,\"state\":\"%s\"}", (unsigned long)s->seq,
             ms(s->time), s->door, STATES[s->state - 1]);
      break;
    }
    case DL_HEARTBEAT: {
      const dl_heartbeat *b = &m->u.heartbeat;
      printf("{\"type\":\"heartbeat\",\"time\":%llu,\"lastSeq\":%lu,\"pending\":%u,\"dropped\":%lu}", ms(b->time),
             (unsigned long)b->last_seq, b->pending, (unsigned long)b->dropped);
      break;
    }
    case DL_AGENT_HELLO:
      printf("{\"type\":\"agent-hello\",\"protocolVersion\":%u}", m->u.agent_hello.protocol_version);
      break;
    case DL_ACK:
      printf("{\"type\":\"ack\",\"seq\":%lu}", (unsigned long)m->u.ack.seq);
      break;
    case DL_NAK:
      printf("{\"type\":\"nak\",\"seq\":%lu,\"reason\":\"%s\"}", (unsigned long)m->u.nak.seq,
             NAK_REASONS[m->u.nak.reason - 1]);
      break;
    default:
      printf("{\"type\":\"time-set\",\"time\":%llu}", ms(m->u.time_set.time));
      break;
  }
}

static void on_event(void *ctx, const dl_event *ev) {
  int reencode = *(const int *)ctx;
  if (ev->kind == DL_EV_ERROR) {
    printf("{\"error\":\"%s\",\"bytes\":%lu}\n", dl_frame_error_name(ev->error), (unsigned long)ev->bytes);
    return;
  }
  printf("{\"message\":");
  put_message(ev->message);
  printf("}\n");
  if (reencode) {
    uint8_t out[DL_V1_MAX_FRAME];
    int i, n = dl_encode(ev->message, out, sizeof out);
    if (n < 0) {
      printf("{\"encodeError\":\"%s\"}\n", dl_encode_error_field(n));
      return;
    }
    printf("{\"hex\":\"");
    for (i = 0; i < n; i++) printf("%02x", out[i]);
    printf("\"}\n");
  }
}

static void put_end(const dl_counters *c) {
  printf("{\"end\":true,\"counters\":{\"bytesIn\":%lu,\"frameBytes\":%lu,\"discardedBytes\":%lu,\"messages\":%lu,"
         "\"garbage\":%lu,\"crc\":%lu,\"length\":%lu,\"truncated\":%lu,\"version\":%lu,\"unknown-type\":%lu,"
         "\"bad-payload\":%lu}}\n",
         (unsigned long)c->bytes_in, (unsigned long)c->frame_bytes, (unsigned long)c->discarded_bytes,
         (unsigned long)c->messages, (unsigned long)c->garbage, (unsigned long)c->crc, (unsigned long)c->length,
         (unsigned long)c->truncated, (unsigned long)c->version, (unsigned long)c->unknown_type,
         (unsigned long)c->bad_payload);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parses hex into bytes; returns the byte count or -1. */
static long parse_hex(const char *hex, uint8_t *bytes) {
  long n = 0;
  while (hex[0] != '\0' && hex[0] != '\n') {
    int hi = hex_digit(hex[0]), lo = hi < 0 ? -1 : hex_digit(hex[1]);
    if (lo < 0) return -1;
    bytes[n++] = (uint8_t)(hi * 16 + lo);
    hex += 2;
  }
  return n;
}

int main(void) {
  static char line[MAX_LINE];
  static uint8_t bytes[MAX_LINE / 2];
  dl_decoder d;
  while (fgets(line, sizeof line, stdin) != NULL) {
    char *hex = strchr(line, ' ');
    long n, i;
    int reencode;
    if (strchr(line, '\n') == NULL && !feof(stdin)) {
      printf("{\"fatal\":\"line longer than %u bytes\"}\n", MAX_LINE - 2u);
      return 2;
    }
    if (strncmp(line, "selftest", 8) == 0) {
      int failed = run_selftest();
      printf("{\"end\":true,\"failed\":%d}\n", failed);
      continue;
    }
    n = hex == NULL ? -1 : parse_hex(hex + 1, bytes);
    if (n < 0) {
      printf("{\"fatal\":\"expected '<mode> <hex>'\"}\n");
      return 2;
    }
    *hex = '\0';
    reencode = strcmp(line, "encode") == 0;
    dl_decoder_init(&d);
    if (strcmp(line, "bytewise") == 0) {
      for (i = 0; i < n; i++) dl_decoder_feed(&d, bytes + i, 1, on_event, &reencode);
    } else if (reencode || strcmp(line, "whole") == 0) {
      dl_decoder_feed(&d, bytes, (size_t)n, on_event, &reencode);
    } else {
      printf("{\"fatal\":\"unknown mode %s\"}\n", line);
      return 2;
    }
    dl_decoder_finish(&d, on_event, &reencode);
    put_end(&d.counters);
    fflush(stdout);
  }
  return 0;
}
