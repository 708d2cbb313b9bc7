/**
 * Reading uploads and writing variants in S3.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SupersededUpload } from '../../lib/failures';
import { OUTPUT_FORMAT_INFO, OutputFormat } from '../../lib/formats';
import { outputKey } from '../../lib/keys';
import type { VariantRecord } from '../../lib/metadata';
import { Upload } from './event';
import { RenderedVariant } from './transform';

/** Every variant is immutable: a new upload of the same key gets a new image id and new URLs. */
export const OUTPUT_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface SourceBytes {
  readonly bytes: Uint8Array;
  readonly contentType?: string;
  readonly etag?: string;
  readonly versionId?: string;
}

export { SupersededUpload };

const missing = (error: unknown) =>
  error instanceof S3ServiceException && ['NoSuchKey', 'NoSuchVersion', 'NotFound', 'PreconditionFailed'].includes(error.name)
  || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;

export interface CurrentUpload {
  readonly bytes: number;
  readonly contentType?: string;
}

/**
 * Checks that the upload the event names is still the key's current object (same version id in a versioned
 * bucket, same ETag otherwise). A late event for an overwritten or deleted upload throws `SupersededUpload`: the
 * newer upload's own event produces the record, so an old event never adds a second one.
 */
export async function headUpload(s3: S3Client, upload: Upload): Promise<CurrentUpload> {
  const current = await s3.send(new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key })).catch((error) => {
    if (missing(error)) throw new SupersededUpload(`s3://${upload.bucket}/${upload.key} no longer exists`);
    throw error;
  });
  const currentEtag = current.ETag?.replace(/"/g, '');
  if (upload.versionId ? current.VersionId !== upload.versionId : upload.etag && currentEtag !== upload.etag) {
    throw new SupersededUpload(`s3://${upload.bucket}/${upload.key} was overwritten by a newer upload`);
  }
  return { bytes: current.ContentLength ?? 0, contentType: current.ContentType };
}

/**
 * Reads exactly the upload the event names: by version id in a versioned bucket, else by ETag with If-Match, so an
 * overwrite between the event and the read is never processed under the old upload's id.
 */
export async function readUpload(s3: S3Client, upload: Upload): Promise<SourceBytes> {
  try {
    const object = await s3.send(new GetObjectCommand({
      Bucket: upload.bucket,
      Key: upload.key,
      ...(upload.versionId ? { VersionId: upload.versionId } : upload.etag ? { IfMatch: `"${upload.etag}"` } : {}),
    }));
    const etag = object.ETag?.replace(/"/g, '');
    // The answer is checked too: a server that ignores If-Match (s3rver does) must not hand over a newer upload.
    // Its body is not read.
    if (upload.versionId ? object.VersionId !== upload.versionId : upload.etag && etag !== upload.etag) {
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new SupersededUpload(`s3://${upload.bucket}/${upload.key} changed while it was read`);
    }
    const bytes = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    return { bytes, contentType: object.ContentType, etag, versionId: object.VersionId };
  } catch (error) {
    if (missing(error)) throw new SupersededUpload(`s3://${upload.bucket}/${upload.key} changed while it was read`);
    throw error;
  }
}

/**
 * Writes every variant to its format's bucket at its layout key, and returns what the metadata item records of
 * each: the key is computed here once, so the object and its record can never disagree.
 */
export async function writeVariants(
  s3: S3Client,
  buckets: Readonly<Record<OutputFormat, string>>,
  imageId: string,
  variants: readonly RenderedVariant[],
): Promise<VariantRecord[]> {
  return Promise.all(variants.map(async (variant): Promise<VariantRecord> => {
    const key = outputKey(variant.format, imageId, variant.name);
    await s3.send(new PutObjectCommand({
      Bucket: buckets[variant.format],
      Key: key,
      Body: variant.data,
      ContentType: OUTPUT_FORMAT_INFO[variant.format].contentType,
      CacheControl: OUTPUT_CACHE_CONTROL,
    }));
    return {
      format: variant.format,
      name: variant.name,
      width: variant.width,
      height: variant.height,
      key,
      bytes: variant.data.length,
      ...(variant.frames ? { animated: true, frames: variant.frames } : {}),
      ...(variant.quality !== undefined ? { quality: variant.quality } : {}),
      ...(variant.score !== undefined ? { score: variant.score, score_source: variant.scoreSource } : {}),
      ...(variant.fullChroma ? { full_chroma: true } : {}),
    };
  }));
}
