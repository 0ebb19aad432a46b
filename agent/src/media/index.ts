// The agent's media code, shared with the broker: the cloud checks and transcodes uploads with
// exactly the probe and ffmpeg arguments a box uses, so what it accepts a box can play.
export { FfmpegNotFoundError, locate } from './ffmpeg.js';
export { MediaError, type MediaErrorCode } from './media-error.js';
export { interpretProbe, type ProbeResult, probe } from './probe.js';
export { DEFAULT_SCREEN, type ScreenProfile, ScreenProfileSchema } from './screen-profile.js';
export { profileKey, type TranscodeOptions, transcode, transcodeArgs } from './transcode.js';
