// codec.ts against byte fixtures written from the published layout, and random input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBcdTime, epochToLocal, localToEpochMs } from './bcd-time.js';
import { decode, decodeEvent, decodeGetEventRequest, encode, encodeGetEvent, PACKET_BYTES, SOM, SOM_V662, UhppoteDecodeError, type UhppoteEvent } from './codec.js';
import { BAD, FIXTURES } from './fixtures.js';

const bytes = (hex: string) => Buffer.from(hex, 'hex');

describe('decode: fixtures', () => {
  it.each(FIXTURES)('$name', ({ hex, event }) => {
    expect(hex).toHaveLength(PACKET_BYTES * 2);
    expect(decode(bytes(hex))).toEqual({ ok: true, event });
  });

  it.each(BAD)('rejects $name', ({ hex, code }) => {
    const r = decode(bytes(hex));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ name: 'UhppoteDecodeError', code });
    expect(() => decodeEvent(bytes(hex))).toThrow(UhppoteDecodeError);
  });

  it('encode writes the event bytes (0..27) of each fixture and zeros after', () => {
    for (const { hex, event } of FIXTURES.filter((f) => f.event.time !== null || f.event.index === 0)) {
      const som = bytes(hex)[0] === SOM_V662 ? SOM_V662 : SOM;
      const out = encode(event, { som });
      expect(out.subarray(0, 28).toString('hex'), hex).toBe(hex.slice(0, 56).replace(/^(..)(..)..../, '$1$20000'));
      expect(out.subarray(28).every((b) => b === 0)).toBe(true);
    }
  });
});

describe('decode: properties', () => {
  const event = fc.record({
    fn: fc.constantFrom(0x20 as const, 0xb0 as const),
    serial: fc.nat({ max: 0xffffffff }),
    index: fc.integer({ min: 1, max: 0xffffffff }),
    type: fc.constantFrom(1, 2, 3),
    granted: fc.boolean(),
    door: fc.integer({ min: 1, max: 4 }),
    direction: fc.constantFrom(1, 2),
    card: fc.nat({ max: 0xffffffff }),
    time: fc.option(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => epochToLocal(d.getTime(), 'UTC')), { nil: null }),
    reason: fc.nat({ max: 255 }),
  }) satisfies fc.Arbitrary<UhppoteEvent>;

  it('random valid records round-trip through encode and decode', () => {
    fc.assert(fc.property(event, (e) => {
      expect(decode(encode(e))).toEqual({ ok: true, event: e });
    }), { numRuns: 2000 });
  });

  it('random bytes never throw: a record or a typed error', () => {
    const anyBytes = fc.uint8Array({ maxLength: 80 });
    // Valid records with a few bytes changed, so every check past the header is reached too.
    const mutation = fc.tuple(fc.nat({ max: 63 }), fc.nat({ max: 255 }));
    const mutated = fc.tuple(event, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([e, ms]) => {
      const b = encode(e);
      for (const [at, v] of ms) b[at] = v;
      return b;
    });
    const codes = new Set<string>();
    fc.assert(
      fc.property(fc.oneof(anyBytes, mutated, mutated), (b) => {
        const r = decode(b);
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(UhppoteDecodeError);
          codes.add(r.error.code);
        } else expect(r.event.door === 0 || (r.event.door >= 1 && r.event.door <= 4)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    // The properties reached every check, not only the length one.
    expect([...codes].sort()).toEqual(['bcd', 'direction', 'door', 'function', 'granted', 'length', 'som']);
  });

  it('get-event requests decode back', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (serial, index) => {
      expect(decodeGetEventRequest(encodeGetEvent(serial, index))).toEqual({ serial, index });
    }));
    expect(encodeGetEvent(423187757, 1).toString('hex')).toBe('17b000002d55391901'.padEnd(128, '0')); // uhppote-core TestMarshalGetEventRequest
    expect(decodeGetEventRequest(Buffer.alloc(64))).toBeNull();
  });
});

describe('BCD time', () => {
  it('keeps calendar times, refuses impossible ones', () => {
    const t = (hex: string) => decodeBcdTime(bytes(hex), 0);
    expect(t('20240229235959')).toEqual({ year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59 });
    expect(t('20230229000000')).toBeNull(); // not a leap year
    expect(t('20241301000000')).toBeNull();
    expect(t('20240101240000')).toBeNull();
    expect(t('00000000000000')).toBeNull();
  });

  it('controller-local time converts through the zone, DST included', () => {
    const t = { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 13 };
    expect(new Date(localToEpochMs(t, 'Asia/Shanghai')).toISOString()).toBe('2026-11-22T23:42:13.000Z');
    expect(new Date(localToEpochMs({ ...t, month: 7 }, 'Europe/Berlin')).toISOString()).toBe('2026-07-23T05:42:13.000Z');
    expect(new Date(localToEpochMs(t, 'Europe/Berlin')).toISOString()).toBe('2026-11-23T06:42:13.000Z');
    expect(new Date(localToEpochMs(t, 'UTC')).toISOString()).toBe('2026-11-23T07:42:13.000Z');
    // 02:30 does not exist on 2026-03-29 in Berlin: it lands after the gap, not an hour off.
    expect(new Date(localToEpochMs({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Berlin')).toISOString()).toMatch(/^2026-03-29T0[01]:30:00/);
    expect(localToEpochMs(null, 'UTC')).toBe(0);
  });

  it('local → epoch → local is the identity outside DST gaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }), fc.constantFrom('UTC', 'Asia/Shanghai', 'America/New_York', 'Australia/Lord_Howe'), (ms, tz) => {
        const local = epochToLocal(ms, tz);
        expect(epochToLocal(localToEpochMs(local, tz), tz)).toEqual(local);
      }),
      { numRuns: 500 },
    );
  });
});
