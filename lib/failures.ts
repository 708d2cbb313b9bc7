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
  /** Not bad input: the key was overwritten or deleted while this upload was processed; the newer upload's event goes on. */
  SUPERSEDED: 'a newer upload replaced this one (or it was deleted) while it was processed',
} as const;

export type FailureReason = keyof typeof FAILURE_REASONS;

/**
 * How one delivery of an upload's event ends: the handler's report for each record, printed by the local runtime.
 * The item's own status (lib/metadata.ts) is COMPLETED or FAILED; the other two change nothing on it. A delivery
 * that finds the upload held by a live attempt does not end: it throws `UploadInProgress` (below) and is retried.
 */
export const EVENT_OUTCOMES = {
  COMPLETED: 'this delivery processed the upload',
  FAILED: 'this delivery refused the upload as bad input (the reason is one of FAILURE_REASONS)',
  DUPLICATE: 'the upload had already ended (or another attempt took it over): nothing changed, beyond announcing an outcome nobody had',
  SUPERSEDED: 'the key holds a newer upload (or none): this event is obsolete; the item, if claimed, ended FAILED with reason SUPERSEDED',
} as const;

export type EventOutcome = keyof typeof EVENT_OUTCOMES;

/** A permanent failure: recorded as FAILED with its reason, never retried. */
export class PermanentFailure extends Error {
  constructor(readonly reason: FailureReason, message: string = FAILURE_REASONS[reason]) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

/**
 * The upload the event names is no longer the key's current object. Before the item is claimed nothing is recorded
 * (the newer upload's event produces the record); after, the item ends FAILED with the reason `SUPERSEDED`.
 */
export class SupersededUpload extends PermanentFailure {
  constructor(message: string) {
    super('SUPERSEDED', message);
    this.name = 'SupersededUpload';
  }
}

/**
 * Another attempt holds the upload (its claim is live). Thrown, not returned: the event must not be consumed while
 * the upload is unfinished, so the invocation fails and Lambda's retries (then the failure queue) carry it until the
 * holder has finished, or died and its claim has run out (lib/lease.ts). The name is the `errorType` Lambda and the
 * local runtime record.
 */
export class UploadInProgress extends Error {
  constructor(readonly imageId: string, readonly leaseExpiresAt: string | undefined) {
    super(`image ${imageId} is being processed by another attempt (its claim holds until ${leaseExpiresAt ?? 'unknown'}); this event is retried`);
    this.name = 'UploadInProgress';
  }
}

export function isFailureReason(value: string): value is FailureReason {
  return Object.prototype.hasOwnProperty.call(FAILURE_REASONS, value);
}
