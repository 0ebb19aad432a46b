// Edge interrupts through onoff: epoll (EPOLLPRI) on the line's value file, which only the
// real /sys offers (onoff hardcodes /sys/class/gpio). The line is already exported and
// configured by SysfsLine; onoff adds the wait. It is a wake-up only: the source reads and
// debounces the level itself, so onoff's own value filter and debounce are not used.
import { closeSync } from 'node:fs';

export interface EdgeWatch {
  /** Removes the epoll registration and closes onoff's value fd; never unexports. */
  stop(): void;
}

interface OnoffInternals {
  _valueFd?: unknown;
  _poller?: { close?: () => void };
  readSync(): 0 | 1;
}

/**
 * Rejects when the kernel refuses epoll on the value file (EPERM on a regular file, a line
 * without interrupt support): the caller polls instead.
 */
export async function watchEdges(number: number, activeLow: boolean, onEdge: () => void): Promise<EdgeWatch> {
  const { Gpio } = await import('onoff');
  // 'both' in the kernel whatever the configured edge: the debouncer must see the return to
  // rest too, or the next activation would read as "no change" (gpio-events.ts filters).
  const g = new Gpio(number, 'in', 'both', { activeLow, reconfigureDirection: false });
  const inner = g as unknown as OnoffInternals;
  // onoff reads the value inside its epoll callback, where a throw (line unexported under us:
  // ENODEV) would be uncaught. Turn it into a wake-up; the source's own read reports it.
  const readSync = inner.readSync.bind(g);
  inner.readSync = () => {
    try {
      return readSync();
    } catch {
      return 0;
    }
  };
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      g.unwatchAll();
    } catch {
      // never watched: nothing registered with epoll
    }
    inner._poller?.close?.();
    // g.unexport() would also unexport; whether to is SysfsLine's decision.
    if (typeof inner._valueFd === 'number') closeSync(inner._valueFd);
  };
  try {
    g.watch(() => onEdge());
  } catch (err) {
    release();
    throw err;
  }
  return { stop: release };
}
