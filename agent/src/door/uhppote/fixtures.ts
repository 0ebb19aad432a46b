// Byte fixtures written by hand from the documented layout (codec.ts), not produced by our
// encoder, so decode is checked against the description rather than against itself.
const pad = (hex: string) => hex.replace(/\s+/g, '').padEnd(128, '0');

export const FIXTURES = [
  {
    name: 'granted swipe, door 3, in, 2026-11-23 07:42:13',
    hex: pad('17 20 0000 78372a18 4e000000 01 01 03 01 ade85d00 20261123074213 01'),
    event: { fn: 0x20, serial: 405419896, index: 78, type: 1, granted: true, door: 3, direction: 1, card: 6154413, time: { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 13 }, reason: 1 },
  },
  {
    name: 'denied swipe (no privilege), door 1, out, firmware v6.62 start byte',
    hex: pad('19 20 0000 78372a18 4f000000 01 00 01 02 ade85d00 20261123074220 06'),
    event: { fn: 0x20, serial: 405419896, index: 79, type: 1, granted: false, door: 1, direction: 2, card: 6154413, time: { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 20 }, reason: 6 },
  },
  {
    name: 'door 2 opened (type 2, reason 23)',
    hex: pad('17 20 0000 78372a18 50000000 02 01 02 01 00000000 20261123074225 17'),
    event: { fn: 0x20, serial: 405419896, index: 80, type: 2, granted: true, door: 2, direction: 1, card: 0, time: { year: 2026, month: 11, day: 23, hour: 7, minute: 42, second: 25 }, reason: 23 },
  },
  {
    name: 'forced open warning (type 3, reason 38), invalid BCD time',
    hex: pad('17 20 0000 78372a18 51000000 03 00 04 01 00000000 2026113a074225 26'),
    event: { fn: 0x20, serial: 405419896, index: 81, type: 3, granted: false, door: 4, direction: 1, card: 0, time: null, reason: 38 },
  },
  {
    name: 'get-event response for index 77',
    hex: pad('17 b0 0000 78372a18 4d000000 02 01 01 01 00000000 20261123074100 14'),
    event: { fn: 0xb0, serial: 405419896, index: 77, type: 2, granted: true, door: 1, direction: 1, card: 0, time: { year: 2026, month: 11, day: 23, hour: 7, minute: 41, second: 0 }, reason: 20 },
  },
] as const;

export const BAD = [
  { name: 'short', hex: '1720', code: 'length' },
  { name: 'wrong start byte', hex: pad('55 20 0000 78372a18 4e000000 01 01 03 01'), code: 'som' },
  { name: 'a set-time reply', hex: pad('17 30 0000 78372a18'), code: 'function' },
  { name: 'door 5', hex: pad('17 20 0000 78372a18 4e000000 01 01 05 01'), code: 'door' },
  { name: 'direction 3', hex: pad('17 20 0000 78372a18 4e000000 01 01 01 03'), code: 'direction' },
] as const;
