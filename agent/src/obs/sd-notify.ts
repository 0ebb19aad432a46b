// systemd readiness and watchdog (sd_notify), after zigbee2mqtt's lib/util/sd-notify.ts.
// Node cannot send unix datagrams, so we use systemd-notify(1) with --pid of this process;
// the unit sets NotifyAccess=all for that reason. Soft-fails when not under systemd.
import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

export interface SdNotifier {
  ready(): void;
  stopping(): void;
  status(text: string): void;
  stop(): void;
}

function send(log: Logger, args: string[]): void {
  execFile('systemd-notify', [`--pid=${process.pid}`, ...args], { timeout: 5000 }, (err) => {
    if (err) log.warn({ err: err.message, args }, 'sd_notify failed');
  });
}

export function sdNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): SdNotifier {
  if (!env.NOTIFY_SOCKET) {
    return { ready() {}, stopping() {}, status() {}, stop() {} };
  }
  // WATCHDOG_USEC is set when the unit has WatchdogSec; ping at half the interval.
  const usec = Number(env.WATCHDOG_USEC ?? 0);
  let timer: NodeJS.Timeout | undefined;
  if (usec > 0) {
    timer = setInterval(() => send(log, ['WATCHDOG=1']), Math.max(1000, usec / 2000));
    timer.unref();
  }
  return {
    ready: () => send(log, ['--ready']),
    stopping: () => send(log, ['STOPPING=1']),
    status: (text) => send(log, [`STATUS=${text}`]),
    stop: () => clearInterval(timer),
  };
}
