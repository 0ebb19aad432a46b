// Typed market errors; the API maps each code to an HTTP status (api/errors.ts).
export type MarketErrorCode = 'not-found' | 'exists' | 'conflict' | 'invalid' | 'forbidden';

export class MarketError extends Error {
  override readonly name = 'MarketError';
  constructor(
    readonly code: MarketErrorCode,
    message: string,
    /** Field path of the offending input, e.g. 'body.dates.from'. */
    readonly path?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
