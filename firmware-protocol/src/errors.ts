// Typed errors with a code and the context needed to act on them.

export type FrameErrorCode =
  | 'garbage' // bytes that did not begin a valid header
  | 'crc' // a valid header whose frame CRC did not match
  | 'length' // a valid header announcing a length outside MIN..MAX
  | 'truncated' // a partial frame abandoned (end of input or inter-byte timeout)
  | 'version' // a CRC-valid frame of an unsupported protocol version
  | 'unknown-type' // a CRC-valid frame of a type this codec does not know
  | 'bad-payload'; // a CRC-valid frame whose payload does not fit its type

/** One rejected span of input. `bytes` is how much input the rejection consumed. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: FrameErrorCode,
    message: string,
    readonly bytes: number,
    readonly context: Readonly<Record<string, number | string>> = {},
  ) {
    // Frame errors are data from a noisy line, not bugs: a stack trace would cost more than
    // the decode itself on an adversarial stream, and say nothing useful.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A message that cannot be encoded; `field` names the offending field. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
