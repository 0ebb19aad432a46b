// Where frames go: the framebuffer on a box, a PNG + hash log for proof and tests, or nowhere.
import type { ScreenProfile } from '../media/screen-profile.js';

export interface FrameSink {
  readonly kind: 'framebuffer' | 'snapshot' | 'null';
  /** Called once per play before the first frame. */
  begin(play: { id: string; profile: ScreenProfile }): void;
  /** Must be quick: the player paces frames. Throws SinkError when the device is gone. */
  write(frame: Buffer, index: number): void;
  end(): void;
  close(): Promise<void>;
}

export class SinkError extends Error {
  override readonly name = 'SinkError';
  constructor(
    readonly sink: string,
    message: string,
  ) {
    super(`${sink}: ${message}`);
  }
}

export class NullSink implements FrameSink {
  readonly kind = 'null';
  frames = 0;
  begin(): void {}
  write(): void {
    this.frames++;
  }
  end(): void {}
  async close(): Promise<void> {}
}
