/**
 * Reading S3 ObjectCreated events: every record, keys URL-decoded (`+` is a space), identity derived from the
 * object's bucket, key and version (or ETag).
 */
import type { S3Event } from 'aws-lambda';
import { deriveImageId } from '../../lib/keys';

export interface Upload {
  readonly imageId: string;
  readonly bucket: string;
  /** The decoded key, as the uploader named it. */
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly bytes?: number;
  readonly eventTime?: string;
}

/** S3 event keys are form-encoded: `+` stands for a space and everything else is percent-encoded. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** Every upload in the event, in order. Throws when the event is not an S3 event at all. */
export function uploadsFromEvent(event: S3Event): Upload[] {
  if (!event || !Array.isArray(event.Records)) {
    throw new Error('Expected an S3 event with a Records array');
  }
  return event.Records.map((record, index) => {
    const s3 = record?.s3;
    if (!s3?.bucket?.name || typeof s3.object?.key !== 'string') {
      throw new Error(`Record ${index} is not an S3 object record (no bucket name or object key)`);
    }
    const source = {
      bucket: s3.bucket.name,
      key: decodeS3Key(s3.object.key),
      versionId: s3.object.versionId || undefined,
      etag: s3.object.eTag || undefined,
    };
    return { ...source, imageId: deriveImageId(source), bytes: s3.object.size, eventTime: record.eventTime };
  });
}
