// Canonical JSON for signed bodies: object keys sorted by UTF-16 code units, no whitespace,
// numbers as ECMAScript prints them. For the values manifests hold (strings, finite numbers,
// booleans, null, arrays, objects) this is RFC 8785 (JCS). CLOUD-LINK.md §6.2

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(root)'}: ${message}`);
  }
}

export function canonicalJson(value: unknown): string {
  return write(value, '');
}

function write(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalJsonError(path, 'not a finite number');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x, i) => write(x, `${path}.${i}`)).join(',')}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(path, 'not a plain object');
      const keys = Object.keys(v as object)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k)}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(path, `cannot encode a ${typeof v}`);
  }
}
