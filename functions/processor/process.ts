/**
 * One upload, start to end: claim the metadata item, read and check the bytes, render the variants, write them,
 * record the result, emit the metrics, announce the outcome. Permanent failures end FAILED with a reason and
 * return; anything else (throttling, 5xx, network) releases the item and is thrown, so Lambda retries and the
 * failure queue keeps what is left. An event for an upload another attempt holds is thrown too (`UploadInProgress`):
 * it is never consumed while the upload is unfinished.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { EventOutcome, FAILURE_REASONS, PermanentFailure, SupersededUpload, UploadInProgress } from '../../lib/failures';
import { FunctionConfig } from '../../lib/function-environment';
import { UPLOAD_LEASE } from '../../lib/lease';
import { ImageRecord, OriginalRecord, VariantRecord } from '../../lib/metadata';
import { isFinal } from '../../lib/outcomes';
import { Upload } from './event';
import { animationOf, checkAnimationBudget } from './animation';
import type { Announcer } from './announce';
import { Inspection, inspect } from './inspect';
import { InputLimits } from './limits';
import { Log } from './log';
import { Metrics } from './metrics';
import { MetadataStore } from './records';
import { headUpload, readUpload, writeVariants } from './storage';
import { render } from './transform';

/** How an event ended (lib/failures.ts). A held upload is not an outcome: it is thrown as `UploadInProgress`. */
export type Outcome = EventOutcome;

export interface UploadResult {
  readonly image_id: string;
  readonly bucket: string;
  readonly key: string;
  readonly outcome: Outcome;
  readonly reason?: string;
}

export interface ProcessorDeps {
  readonly config: FunctionConfig;
  readonly s3: S3Client;
  readonly store: MetadataStore;
  readonly metrics: Metrics;
  readonly announcer: Announcer;
  readonly log: Log;
  readonly limits: InputLimits;
  /** Variant pipelines run at once. */
  readonly concurrency: number;
}

function originalRecord(inspection: Inspection): OriginalRecord {
  const animation = animationOf(inspection);
  return {
    format: inspection.format,
    width: inspection.width,
    height: inspection.height,
    alpha: inspection.alpha,
    orientation: inspection.orientation,
    frames: inspection.frames,
    ...(animation ? { animated: true, duration_ms: animation.durationMs, loop: animation.loop } : {}),
  };
}

/** Processes one upload. */
export async function processUpload(upload: Upload, deps: ProcessorDeps): Promise<UploadResult> {
  const { config, s3, store, metrics, limits } = deps;
  const started = Date.now();
  const base = { image_id: upload.imageId, bucket: upload.bucket, key: upload.key };
  // Every log line of this upload carries its image id, bucket and key.
  const log = deps.log.with(base);

  let current;
  try {
    current = await headUpload(s3, upload);
  } catch (error) {
    if (!(error instanceof SupersededUpload)) throw error;
    log.info('upload superseded before processing: nothing recorded', { error: error.message });
    return { ...base, outcome: 'SUPERSEDED' };
  }

  const leaseMs = config.leaseSeconds * 1000;
  const claim = await store.claim(upload.imageId, {
    bucket: upload.bucket,
    key: upload.key,
    version_id: upload.versionId,
    etag: upload.etag,
    bytes: current.bytes,
    content_type: current.contentType,
  }, leaseMs);
  if (!claim.claimed) {
    const { existing } = claim;
    if (!isFinal(existing)) {
      log.info('another attempt holds this upload: the event is retried', { lease_expires_at: existing.lease_expires_at });
      throw new UploadInProgress(upload.imageId, existing.lease_expires_at);
    }
    if (existing.announced_at === undefined) {
      log.info('duplicate delivery of an upload whose outcome was not announced: announcing it', { status: existing.status });
      await deps.announcer.announce(existing, log);
    } else {
      log.info('duplicate delivery: already processed', { status: existing.status });
    }
    return { ...base, outcome: 'DUPLICATE' };
  }
  const { attemptId } = claim;
  // Renewed while this attempt works, so it runs out soon after the attempt dies (lib/lease.ts).
  const stopRenewing = store.keepClaimed(upload.imageId, attemptId, leaseMs, Math.min(leaseMs / 3, UPLOAD_LEASE.renewEverySeconds * 1000),
    (problem) => log.warn(problem));

  let finished: ImageRecord | undefined;
  let result: UploadResult;
  let bytesIn = current.bytes;
  let inspection: Inspection | undefined;
  try {
    if (current.bytes > limits.maxBytes) {
      // Refused from the object's size alone: its bytes are never read.
      throw new PermanentFailure('INPUT_TOO_LARGE', `the upload is ${current.bytes} bytes; the limit is ${limits.maxBytes}`);
    }
    const source = await readUpload(s3, upload);
    bytesIn = source.bytes.length;
    inspection = await inspect(source.bytes, limits);
    checkAnimationBudget(inspection, config.preset, limits.animation);
    const rendition = await render(source.bytes, inspection, config.preset, limits.maxPixels, { concurrency: deps.concurrency });
    const variants = await writeVariants(s3, config.outputBuckets, upload.imageId, rendition.variants);

    const bytesOut = variants.reduce((sum, variant) => sum + variant.bytes, 0);
    const processingMs = Date.now() - started;
    finished = await store.complete(upload.imageId, attemptId, {
      original: originalRecord(inspection),
      variants,
      bytesIn,
      bytesOut,
      bytesSaved: bytesIn - largestWebpBytes(variants),
      placeholder: rendition.placeholder,
      processingMs,
    });
    if (finished) {
      metrics.completed(upload.imageId, { processingMs, bytesIn, bytesOut, variants: variants.length });
      log.info('processed', { variants: variants.length, bytes_in: bytesIn, bytes_out: bytesOut, processing_ms: processingMs });
    }
    result = { ...base, outcome: 'COMPLETED' };
  } catch (error) {
    if (!(error instanceof PermanentFailure)) {
      // Before the release: a renewal after it would make the released claim live again and hold off the retry.
      stopRenewing();
      const name = (error as Error).name ?? 'Error';
      await store.release(upload.imageId, attemptId, { code: name, message: (error as Error).message ?? String(error) }).catch((releaseError) => {
        log.error('could not release the upload after a transient error; its lease will run out', releaseError);
      });
      log.error('transient failure: the invocation fails so Lambda retries it', error as Error, { error_name: name });
      throw error;
    }
    const processingMs = Date.now() - started;
    finished = await store.fail(upload.imageId, attemptId, { code: error.reason, message: error.message }, processingMs,
      inspection && originalRecord(inspection));
    if (error instanceof SupersededUpload) {
      // Overwritten between the check and the read (rare): the item says so, and the newer upload's event goes on.
      log.info('upload superseded', { error: error.message });
      result = { ...base, outcome: 'SUPERSEDED' };
    } else {
      if (finished) metrics.failed(upload.imageId, error.reason, { processingMs, bytesIn });
      log.warn('upload refused', { reason: error.reason, error: error.message, summary: FAILURE_REASONS[error.reason] });
      result = { ...base, outcome: 'FAILED', reason: error.reason };
    }
  } finally {
    stopRenewing();
  }

  if (!finished) {
    log.warn('another attempt took this upload over; its result stands');
    return { ...base, outcome: 'DUPLICATE' };
  }
  // After the final write: a failed publish fails the invocation, and its retry announces (announce.ts).
  await deps.announcer.announce(finished, log);
  return result;
}

/** What the page saves: the upload's bytes minus the largest WebP rendition (the format nearly every browser takes). */
function largestWebpBytes(variants: readonly VariantRecord[]): number {
  const webp = variants.filter((variant) => variant.format === 'webp');
  const pool = webp.length > 0 ? webp : variants;
  return pool.reduce((best, variant) => (variant.width * variant.height > best.width * best.height ? variant : best), pool[0]).bytes;
}
