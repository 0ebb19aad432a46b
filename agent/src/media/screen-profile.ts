// What a screen can show, and so what every creative is transcoded to before it plays.
import { z } from 'zod';

export const PixelFormatSchema = z.enum(['rgb565le', 'bgra', 'rgb24']);
export type PixelFormat = z.infer<typeof PixelFormatSchema>;

export const ScreenProfileSchema = z.object({
  // Even: H.264 in yuv420p (what every creative is transcoded to) refuses odd sizes.
  width: z.number().int().min(16).max(3840).multipleOf(2, 'width must be even (H.264 yuv420p)'),
  height: z.number().int().min(16).max(2160).multipleOf(2, 'height must be even (H.264 yuv420p)'),
  fps: z.number().int().min(1).max(60),
  pixelFormat: PixelFormatSchema,
  /** Longest clip the screen will play; longer creatives are cut at transcode. */
  maxDurationMs: z.number().int().min(1000).max(120_000),
});
export type ScreenProfile = z.infer<typeof ScreenProfileSchema>;

/** Bytes per pixel of each raw format (ffmpeg -pix_fmt names). */
export const BYTES_PER_PIXEL: Record<PixelFormat, number> = { rgb565le: 2, bgra: 4, rgb24: 3 };

export function frameBytes(p: Pick<ScreenProfile, 'width' | 'height' | 'pixelFormat'>): number {
  return p.width * p.height * BYTES_PER_PIXEL[p.pixelFormat];
}

/** The common 7" gate screen. */
export const DEFAULT_SCREEN: ScreenProfile = { width: 800, height: 480, fps: 25, pixelFormat: 'rgb565le', maxDurationMs: 30_000 };
