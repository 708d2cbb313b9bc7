/**
 * One upload, start to end: claim the metadata item, read and check the bytes, render the variants, write them,
 * record the result, emit the metrics. Permanent failures end FAILED with a reason and return; anything else
 * (throttling, 5xx, network) releases the item and is thrown, so Lambda retries and the failure queue keeps what
 * is left.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { FAILURE_REASONS, PermanentFailure } from '../../lib/failures';
import { FunctionConfig } from '../../lib/function-environment';
import { outputKey } from '../../lib/keys';
import { OriginalRecord, VariantRecord } from '../../lib/metadata';
import { Upload } from './event';
import { animationOf, checkAnimationBudget } from './animation';
import { Inspection, inspect } from './inspect';
import { InputLimits } from './limits';
import { Log } from './log';
import { Metrics } from './metrics';
import { MetadataStore } from './records';
import { SupersededUpload, headUpload, readUpload, writeVariants } from './storage';
import { render } from './transform';

export type Outcome = 'COMPLETED' | 'FAILED' | 'DUPLICATE' | 'SUPERSEDED' | 'IN_PROGRESS';

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

/**
 * Processes one upload. `leaseMs` is how long the claim holds if this attempt dies without a word: the time the
 * invocation has left, after which Lambda has given up on it.
 */
export async function processUpload(upload: Upload, deps: ProcessorDeps, leaseMs: number): Promise<UploadResult> {
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

  const claim = await store.claim(upload.imageId, {
    bucket: upload.bucket,
    key: upload.key,
    version_id: upload.versionId,
    etag: upload.etag,
    bytes: current.bytes,
    content_type: current.contentType,
  }, leaseMs);
  if (!claim.claimed) {
    const { status } = claim.existing;
    const outcome: Outcome = status === 'PROCESSING' ? 'IN_PROGRESS' : 'DUPLICATE';
    log.info(status === 'PROCESSING' ? 'another attempt is processing this upload' : 'duplicate delivery: already processed', { status });
    return { ...base, outcome };
  }
  const { attemptId } = claim;

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
    await writeVariants(s3, config.outputBuckets, upload.imageId, rendition.variants);

    const variants: VariantRecord[] = rendition.variants.map((variant) => ({
      format: variant.format,
      name: variant.name,
      width: variant.width,
      height: variant.height,
      key: outputKey(variant.format, upload.imageId, variant.name),
      bytes: variant.data.length,
      ...(variant.frames ? { animated: true, frames: variant.frames } : {}),
      ...(variant.quality !== undefined ? { quality: variant.quality } : {}),
      ...(variant.score !== undefined ? { score: variant.score, score_source: variant.scoreSource } : {}),
    }));
    const bytesOut = variants.reduce((sum, variant) => sum + variant.bytes, 0);
    const processingMs = Date.now() - started;
    const recorded = await store.complete(upload.imageId, attemptId, {
      original: originalRecord(inspection),
      variants,
      bytesIn,
      bytesOut,
      bytesSaved: bytesIn - largestWebpBytes(variants),
      placeholder: rendition.placeholder,
      processingMs,
    });
    if (!recorded) {
      log.warn('another attempt took this upload over; its result stands');
      return { ...base, outcome: 'DUPLICATE' };
    }
    metrics.completed(upload.imageId, { processingMs, bytesIn, bytesOut, variants: variants.length });
    log.info('processed', { variants: variants.length, bytes_in: bytesIn, bytes_out: bytesOut, processing_ms: processingMs });
    return { ...base, outcome: 'COMPLETED' };
  } catch (error) {
    const processingMs = Date.now() - started;
    if (error instanceof PermanentFailure) {
      await store.fail(upload.imageId, attemptId, { code: error.reason, message: error.message }, processingMs,
        inspection && originalRecord(inspection));
      metrics.failed(upload.imageId, error.reason, { processingMs, bytesIn });
      log.warn('upload refused', { reason: error.reason, error: error.message, summary: FAILURE_REASONS[error.reason] });
      return { ...base, outcome: 'FAILED', reason: error.reason };
    }
    if (error instanceof SupersededUpload) {
      // Overwritten between the check and the read (rare): the item says so, and the newer upload's event goes on.
      await store.fail(upload.imageId, attemptId, { code: 'SUPERSEDED', message: error.message }, processingMs);
      log.info('upload superseded', { error: error.message });
      return { ...base, outcome: 'SUPERSEDED' };
    }
    const name = (error as Error).name ?? 'Error';
    await store.release(upload.imageId, attemptId, { code: name, message: (error as Error).message ?? String(error) }).catch((releaseError) => {
      log.error('could not release the upload after a transient error; its lease will run out', releaseError);
    });
    log.error('transient failure: the invocation fails so Lambda retries it', error as Error, { error_name: name });
    throw error;
  }
}

/** What the page saves: the upload's bytes minus the largest WebP rendition (the format nearly every browser takes). */
function largestWebpBytes(variants: readonly VariantRecord[]): number {
  const webp = variants.filter((variant) => variant.format === 'webp');
  const pool = webp.length > 0 ? webp : variants;
  return pool.reduce((best, variant) => (variant.width * variant.height > best.width * best.height ? variant : best), pool[0]).bytes;
}
