// Sound with the picture (off by default): its own ffmpeg, started with the first frame, so a
// bad audio track or a busy sound card never stalls the video. Never started in quiet hours.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../obs/log.js';

export interface AudioOutput {
  /** An ALSA device (default, hw:0), or 'null' to decode and discard (tests). */
  device: string;
}

export function audioArgs(file: string, device: string): string[] {
  const out = device === 'null' ? ['-f', 'null', '-'] : ['-f', 'alsa', device];
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-vn', ...out];
}

/** Starts the audio of `file`; null when it cannot start (logged, the video plays on). */
export function startAudio(ffmpeg: string, file: string, output: AudioOutput, log: Logger): ChildProcess | null {
  try {
    const p = spawn(ffmpeg, audioArgs(file, output.device), { stdio: 'ignore' });
    p.on('error', (err) => log.warn({ err: err.message }, 'audio did not start; video plays on'));
    return p;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'audio did not start; video plays on');
    return null;
  }
}

export function stopAudio(p: ChildProcess | null | undefined): void {
  if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
