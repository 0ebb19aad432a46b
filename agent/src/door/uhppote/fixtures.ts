// Byte fixtures for codec.ts, each with the record it must decode to. They are written out
// field by field, never produced by our encoder, so decode is checked against the published
// layout rather than against itself. "uhppote-core" vectors are copied from the byte arrays
// in uhppoted/uhppote-core messages/events_test.go and get_event_test.go (README.md).
import type { DecodeErrorCode, UhppoteEvent } from './codec.js';

/** Joins field hex (spaces allowed) and zero-pads to 64 bytes. */
const h = (...fields: string[]): string => fields.join('').replace(/\s+/g, '').padEnd(128, '0');

export interface Fixture {
  name: string;
  hex: string;
  event: UhppoteEvent;
}

export const FIXTURES: readonly Fixture[] = [
  {
    name: 'uhppote-core event push: denied swipe (no privilege), door 3, in',
    hex: h(
      '17 20 0000', //          0 SOM, 1 function 0x20, 2..3 unused
      '2d553919', //            4 serial 423187757 (u32 LE)
      '39000000', //            8 event index 57
      '01 00 03 01', //        12 type swipe, 13 denied, 14 door 3, 15 in
      'aae85d00', //           16 card 6154410
      '20190419170009', //     20 2019-04-19 17:00:09 (BCD)
      '06', //                 27 reason 6: no privilege
      '01000101 00000101 09', // 28..31 door contacts, 32..35 buttons, 36 system error
      '143702 11000000 21000000 2b 04 01 190420 0000', // 37 time, 40 sequence, 44, 48 special, 49 relays, 50 inputs, 51 date
      '9326048808920000', //   56..63 trailing bytes as in the vector
    ),
    event: { fn: 0x20, serial: 423187757, index: 57, type: 1, granted: false, door: 3, direction: 1, card: 6154410, time: { year: 2019, month: 4, day: 19, hour: 17, minute: 0, second: 9 }, reason: 6 },
  },
  {
    name: 'uhppote-core v6.62 event push (start byte 0x19)',
    hex: h('19 20 0000', '2d553919', '39000000', '01 00 03 01', 'aae85d00', '20190419170009', '06', '01000101 00000101 09', '143702 11000000 21000000 2b 04 01 190420 0000', '9326048808920000'),
    event: { fn: 0x20, serial: 423187757, index: 57, type: 1, granted: false, door: 3, direction: 1, card: 6154410, time: { year: 2019, month: 4, day: 19, hour: 17, minute: 0, second: 9 }, reason: 6 },
  },
  {
    name: 'uhppote-core get-event reply, index 8',
    hex: h(
      '17 b0 0000', //          0 SOM, 1 function 0xb0
      '2d553919', //            4 serial 423187757
      '08000000', //            8 index 8
      '02 01 03 01', //        12 type door, 13 granted, 14 door 3, 15 in
      'ade85d00', //           16 card 6154413
      '20190210071201', //     20 2019-02-10 07:12:01
      '06', //                 27 reason 6
      '00'.repeat(28),
      '4a26803908920000', //   56..63 trailing bytes as in the vector
    ),
    event: { fn: 0xb0, serial: 423187757, index: 8, type: 2, granted: true, door: 3, direction: 1, card: 6154413, time: { year: 2019, month: 2, day: 10, hour: 7, minute: 12, second: 1 }, reason: 6 },
  },
  {
    name: 'uhppote-core get-event reply with no record (index 0, door 0, no time)',
    hex: h('17 b0 0000', '2d553919'),
    event: { fn: 0xb0, serial: 423187757, index: 0, type: 0, granted: false, door: 0, direction: 0, card: 0, time: null, reason: 0 },
  },
  {
    name: 'granted swipe, door 4, out, serial 405419896',
    hex: h('17 20 0000', '78372a18', '4e000000', '01 01 04 02', 'ade85d00', '20261123074213', '01'),
    event: { fn: 0x20, serial: 405419896, index: 78, type: 1, granted: true, door: 4, direction: 2, card: 6154413, time: { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 13 }, reason: 1 },
  },
  {
    name: 'door 2 opened (type 2, reason 23)',
    hex: h('17 20 0000', '78372a18', '50000000', '02 01 02 01', '00000000', '20261123074225', '17'),
    event: { fn: 0x20, serial: 405419896, index: 80, type: 2, granted: true, door: 2, direction: 1, card: 0, time: { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 25 }, reason: 23 },
  },
  {
    name: 'exit button, door 1 (type 2, reason 20), index above 2^24',
    hex: h('17 20 0000', '78372a18', '01000001', '02 01 01 01', '00000000', '20260101000000', '14'),
    event: { fn: 0x20, serial: 405419896, index: 0x01000001, type: 2, granted: true, door: 1, direction: 1, card: 0, time: { year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, reason: 20 },
  },
  {
    name: 'forced open warning with an impossible date (31 Feb): time null',
    hex: h('17 20 0000', '78372a18', '51000000', '03 00 04 01', '00000000', '20260231074225', '26'),
    event: { fn: 0x20, serial: 405419896, index: 81, type: 3, granted: false, door: 4, direction: 1, card: 0, time: null, reason: 38 },
  },
  {
    name: 'unset controller clock 2000-00-00 00:00:00: time null',
    hex: h('17 20 0000', '78372a18', '52000000', '02 01 01 01', '00000000', '20000000000000', '18'),
    event: { fn: 0x20, serial: 405419896, index: 82, type: 2, granted: true, door: 1, direction: 1, card: 0, time: null, reason: 24 },
  },
  {
    name: 'overwritten record in a get-event reply (type 0xff)',
    hex: h('17 b0 0000', '78372a18', '05000000', 'ff 00 00 00'),
    event: { fn: 0xb0, serial: 405419896, index: 5, type: 0xff, granted: false, door: 0, direction: 0, card: 0, time: null, reason: 0 },
  },
];

export interface BadFixture {
  name: string;
  hex: string;
  code: DecodeErrorCode;
}

export const BAD: readonly BadFixture[] = [
  { name: 'empty', hex: '', code: 'length' },
  { name: '63 bytes', hex: h('17 20').slice(0, 126), code: 'length' },
  { name: '65 bytes', hex: `${h('17 20')}00`, code: 'length' },
  { name: 'wrong start byte', hex: h('55 20 0000', '78372a18', '4e000000', '01 01 03 01'), code: 'som' },
  { name: '0x19 start byte on a get-event reply (only v6.62 pushes use it)', hex: h('19 b0 0000', '78372a18', '4e000000', '01 01 03 01'), code: 'som' },
  { name: 'uhppote-core invalid message type 0x94 (a find-devices reply)', hex: h('17 94 0000', '2d553919', 'c0a80000 ffffff00'), code: 'function' },
  { name: 'non-BCD nibble in the minutes', hex: h('17 20 0000', '78372a18', '4e000000', '01 01 03 01', 'ade85d00', '2026112307a213', '01'), code: 'bcd' },
  { name: 'granted byte 2', hex: h('17 20 0000', '78372a18', '4e000000', '01 02 03 01', 'ade85d00', '20261123074213', '01'), code: 'granted' },
  { name: 'door 5', hex: h('17 20 0000', '78372a18', '4e000000', '01 01 05 01', 'ade85d00', '20261123074213', '01'), code: 'door' },
  { name: 'door 0 on a real event', hex: h('17 20 0000', '78372a18', '4e000000', '01 01 00 01', 'ade85d00', '20261123074213', '01'), code: 'door' },
  { name: 'direction 3', hex: h('17 20 0000', '78372a18', '4e000000', '01 01 01 03', 'ade85d00', '20261123074213', '01'), code: 'direction' },
];
