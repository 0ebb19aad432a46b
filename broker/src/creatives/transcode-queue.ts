// The transcode queue: one job at a time (the broker also serves MQTT and HTTP on the same
// cores), bounded by its caller (CreativeUploads refuses new uploads as 'busy' at the limit),
// with delayed retries that stop() cancels. Jobs are ids; their state lives in the database,
// so stop() may drop what is pending and start() rebuilds it from 'processing' rows.
import type { Logger } from '../obs/log.js';

export type Job = (id: string, signal: AbortSignal) => Promise<void>;

export class TranscodeQueue {
  #pending: string[] = [];
  #timers = new Map<string, NodeJS.Timeout>();
  #running: { id: string; done: Promise<void> } | null = null;
  #abort = new AbortController();
  #on = false;

  constructor(
    private readonly job: Job,
    private readonly log: Logger,
  ) {}

  /** Jobs pending, running or waiting to retry. */
  get depth(): number {
    return this.#pending.length + this.#timers.size + (this.#running ? 1 : 0);
  }

  has(id: string): boolean {
    return this.#running?.id === id || this.#timers.has(id) || this.#pending.includes(id);
  }

  push(id: string): void {
    if (this.#pending.includes(id) || this.#timers.has(id)) return;
    this.#pending.push(id);
    this.#pump();
  }

  /** Runs `id` again after `ms` (a failure of ours, not the file's). */
  later(id: string, ms: number): void {
    if (!this.#on || this.#timers.has(id)) return;
    const t = setTimeout(() => {
      this.#timers.delete(id);
      this.push(id);
    }, ms);
    this.#timers.set(id, t);
  }

  start(): void {
    if (this.#on) return;
    this.#on = true;
    this.#abort = new AbortController();
    this.#pump();
  }

  /** Aborts the running job and waits for it; pending and delayed jobs are dropped. */
  async stop(): Promise<void> {
    this.#on = false;
    this.#abort.abort();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#pending = [];
    await this.#running?.done;
  }

  #pump(): void {
    if (!this.#on || this.#running) return;
    const id = this.#pending.shift();
    if (id === undefined) return;
    const done = this.job(id, this.#abort.signal)
      .catch((err: Error) => this.log.error({ creative: id, err: err.message }, 'creative job failed unexpectedly'))
      .finally(() => {
        this.#running = null;
        this.#pump();
      });
    this.#running = { id, done };
  }
}
