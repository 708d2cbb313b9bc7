/**
 * Why an upload ended FAILED: one reason code per kind of bad input. Permanent failures are never retried; the code
 * is stored on the metadata item, emitted as the `Reason` dimension of `ImagesFailed`, and shown by the command line.
 */
export const FAILURE_REASONS = {
  EMPTY_INPUT: 'the upload has no bytes',
  INPUT_TOO_LARGE: 'the upload is larger than the byte limit',
  TRUNCATED_INPUT: 'the image data ends before the image does',
  CORRUPT_INPUT: 'the image data cannot be decoded',
  SVG_NOT_SUPPORTED: 'SVG is a document format with scripts and external references; upload a raster image',
  PDF_NOT_SUPPORTED: 'PDF is a document format; upload a raster image',
  HEIC_NOT_SUPPORTED: 'HEIC/HEIF is not decoded here (patent-encumbered codec); convert to JPEG or AVIF first',
  UNKNOWN_FORMAT: 'the bytes are not JPEG, PNG, WebP, GIF, AVIF or TIFF',
  TOO_MANY_PIXELS: 'the image has more pixels than the limit (decompression bomb guard)',
  TOO_MANY_FRAMES: 'the animation has more frames than the limit',
  ANIMATION_TOO_LARGE: 'the animation is over the animation budget (frames x width x height, or the time its encodes would take)',
} as const;

export type FailureReason = keyof typeof FAILURE_REASONS;

/** A permanent failure: recorded as FAILED with its reason, never retried. */
export class PermanentFailure extends Error {
  constructor(readonly reason: FailureReason, message: string = FAILURE_REASONS[reason]) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

export function isFailureReason(value: string): value is FailureReason {
  return Object.prototype.hasOwnProperty.call(FAILURE_REASONS, value);
}
