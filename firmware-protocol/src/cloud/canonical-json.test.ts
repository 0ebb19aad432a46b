import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from './canonical-json.js';

describe('canonicalJson (CLOUD-LINK.md §6.2)', () => {
  it('sorts keys at every depth, drops undefined, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }, 'x'], c: undefined })).toBe('{"a":[{"y":null,"z":true},"x"],"b":1}');
    expect(canonicalJson({ é: 1, e: 2, E: 3 })).toBe('{"E":3,"e":2,"é":1}');
    expect(canonicalJson(1e21)).toBe('1e+21');
  });
  it('refuses what JSON cannot carry, with the path', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(/a\.1/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/d: not a plain object/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });
  it('is stable under key order and parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        const back = JSON.parse(text);
        expect(canonicalJson(back)).toBe(text);
        const shuffled = JSON.parse(JSON.stringify(back, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x)));
        expect(canonicalJson(shuffled)).toBe(text);
      }),
    );
  });
});
