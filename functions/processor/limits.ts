/**
 * Input limits, sized to the function's memory so an accepted image can always be processed within it.
 *
 * Measured (npm run bench, sharp 0.35.5): a 20 MP JPEG peaks at 241 MB RSS (73 MB of it the process before the
 * upload is read), ~8 bytes per source pixel, with shrink-on-load. A PNG or TIFF is decoded at full size with no
 * shrink-on-load, so the pixel limit allows 20 bytes per pixel of half the memory: 26.8 MP at 1024 MB.
 */

export interface InputLimits {
  /** Largest upload read, in bytes. */
  readonly maxBytes: number;
  /** Largest width x height decoded (decompression bomb guard). */
  readonly maxPixels: number;
  /** Most frames an animated upload may have (only the first is rendered, but all are parsed). */
  readonly maxFrames: number;
}

const MB = 1024 * 1024;
const BYTES_PER_PIXEL_BUDGET = 20;
/** No image larger than this is decoded whatever the memory: 120 MP is beyond any camera's JPEG. */
const PIXEL_CEILING = 120_000_000;

export function limitsForMemory(memoryMb: number): InputLimits {
  const budget = (memoryMb * MB) / 2;
  return {
    maxBytes: Math.min(100 * MB, Math.floor(budget / 8)),
    maxPixels: Math.min(PIXEL_CEILING, Math.floor(budget / BYTES_PER_PIXEL_BUDGET)),
    maxFrames: 1000,
  };
}

/** The function's configured memory: Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 1024 MB elsewhere. */
export function configuredMemoryMb(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return Number.isFinite(value) && value > 0 ? value : 1024;
}
