// A real pseudo-terminal pair made by socat, for serial tests without hardware.
import { type ChildProcess, spawn } from 'node:child_process';

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`socat could not start (${(err as Error).message}); install it: apt-get install socat`);
  }
  const paths: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socat did not report two ptys in time')), timeoutMs);
    let text = '';
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`socat could not start (${err.message}); install it: apt-get install socat`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      for (const m of text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) if (!paths.includes(m[1]!)) paths.push(m[1]!);
      if (paths.length >= 2 && text.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    a: paths[0]!,
    b: paths[1]!,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `cond` until true or the deadline passes (then throws with `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
