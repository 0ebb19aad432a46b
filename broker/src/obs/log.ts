// Structured logs (pino). Components take a Logger and make a child with their name.
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level = process.env.DOORCAST_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'doorcast-broker' } });
}

/** For tests and library defaults: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });
