/**
 * Input limits, sized to the function's memory (and, for animations, its time) so an accepted image can always be
 * processed within them.
 *
 * Measured (npm run bench, sharp 0.35.5): a 20 MP JPEG peaks at 241 MB RSS (73 MB of it the process before the
 * upload is read), ~8 bytes per source pixel, with shrink-on-load. A PNG or TIFF is decoded at full size with no
 * shrink-on-load, so the pixel limit allows 20 bytes per pixel of half the memory: 26.8 MP at 1024 MB.
 *
 * The animation budget (the one place it is set): frames, frame pixels (frames x width x height of the upload) and
 * the estimated time of the animated encodes. Measured here (sharp 0.35.5, one thread, photo-like GIFs): an animated
 * WebP pipeline (GIF decode, per-frame resize, WebP q88 effort 4) streams frame by frame: RSS grew by 14 MB for
 * 6.5 MP of frames, 28 MB for 26 MP, 94 MB for 46 MP (~2 bytes per frame pixel), and cost 165-182 ms of CPU per
 * megapixel of output frames (2.4x a still WebP's 74 ms/MP: every frame is encoded, with frame-difference search).
 */

export interface InputLimits {
  /** Largest upload read, in bytes. */
  readonly maxBytes: number;
  /** Largest width x height decoded (decompression bomb guard). */
  readonly maxPixels: number;
  /** Most frames an animated upload may have (every frame is parsed, and decoded when it is rendered animated). */
  readonly maxFrames: number;
  readonly animation: AnimationBudget;
}

/** What an animated upload may cost; over it the upload ends FAILED as ANIMATION_TOO_LARGE, with no outputs. */
export interface AnimationBudget {
  /** Largest frames x width x height of the upload. */
  readonly maxFramePixels: number;
  /** Largest estimated CPU time of the animated encodes, in milliseconds. */
  readonly maxEncodeMs: number;
  /** The estimate's cost per megapixel of output frames, in CPU milliseconds. */
  readonly encodeMsPerMegapixel: number;
}

const MB = 1024 * 1024;
const BYTES_PER_PIXEL_BUDGET = 20;
/** No image larger than this is decoded whatever the memory: 120 MP is beyond any camera's JPEG. */
const PIXEL_CEILING = 120_000_000;
/**
 * Memory per frame pixel of an animated upload: ~2 bytes measured per pipeline, two pipelines at once (the render's
 * concurrency on Lambda's one or two vCPUs below 3538 MB), and 2x margin for the still posters' decode and the
 * outputs held until they are written. The handler allows up to 4 at once, which this covers without the margin.
 */
const BYTES_PER_FRAME_PIXEL_BUDGET = 8;
/** 182 ms/MP, the slowest measured (see above), rounded up for Lambda's arm64 cores being no faster than these. */
const ANIMATED_WEBP_MS_PER_MEGAPIXEL = 200;
/**
 * Share of the invocation's time the animated encodes may take: the rest is for the still posters, reading and
 * writing, and a slower-than-measured core. Encodes are counted as if run one after another (a 1536 MB function
 * has less than one vCPU, so running two at once does not halve their time there).
 */
const ANIMATION_TIME_SHARE = 0.5;
/** The base profile's processor timeout (stacks/settings.ts), for callers that are not an invocation. */
export const DEFAULT_TIMEOUT_MS = 90_000;

/**
 * The limits for a function of `memoryMb` whose invocation has `timeMs` to run. At the base profile's 1536 MB and
 * 90 s: 100.7 MP of frames (a 480x270 GIF of up to 776 frames) and 45 s of animated encodes (225 MP of output
 * frames: the same GIF's 480 and 320 px renditions at 776 frames are 145 MP, 29 s).
 */
export function limitsForMemory(memoryMb: number, timeMs: number = DEFAULT_TIMEOUT_MS): InputLimits {
  const budget = (memoryMb * MB) / 2;
  return {
    maxBytes: Math.min(100 * MB, Math.floor(budget / 8)),
    maxPixels: Math.min(PIXEL_CEILING, Math.floor(budget / BYTES_PER_PIXEL_BUDGET)),
    maxFrames: 1000,
    animation: {
      maxFramePixels: Math.floor(budget / BYTES_PER_FRAME_PIXEL_BUDGET),
      maxEncodeMs: Math.floor(timeMs * ANIMATION_TIME_SHARE),
      encodeMsPerMegapixel: ANIMATED_WEBP_MS_PER_MEGAPIXEL,
    },
  };
}

/** The function's configured memory: Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 1024 MB elsewhere. */
export function configuredMemoryMb(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return Number.isFinite(value) && value > 0 ? value : 1024;
}
