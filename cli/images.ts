/**
 * Reading the metadata table (one item per image, and the status index for reports), and the URLs of an image's
 * variants on the CDN, built from the shared key layout (lib/keys.ts).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OutputFormat, isOutputFormat } from '../lib/formats';
import { IMAGE_ID_PATTERN, explicitPath, negotiatedPath } from '../lib/keys';
import { IMAGE_ID_ATTRIBUTE, ImageRecord, ImageStatus, STATUS_INDEX, VariantRecord } from '../lib/metadata';
import { expected } from '../lib/problems';
import { findFailureMessage } from '../local/failure-queue';
import { UsageError, UserError } from './errors';
import type { Target } from './target';

/** Fails with a clear line when the argument cannot be an image id. */
export function checkImageId(value: string): string {
  const id = value.trim().toLowerCase();
  if (!IMAGE_ID_PATTERN.test(id)) {
    throw new UsageError(expected('image id', '24 hexadecimal characters, as upload prints', value));
  }
  return id;
}

export async function getImage(target: Target, imageId: string): Promise<ImageRecord | undefined> {
  const result = await target.dynamodb.send(new GetCommand({
    TableName: target.table,
    Key: { [IMAGE_ID_ATTRIBUTE]: imageId },
    ConsistentRead: true,
  }));
  return result.Item as ImageRecord | undefined;
}

/** The newest `limit` images with this status, newest first. */
export async function imagesWithStatus(target: Target, status: ImageStatus, limit: number): Promise<ImageRecord[]> {
  const result = await target.dynamodb.send(new QueryCommand({
    TableName: target.table,
    IndexName: STATUS_INDEX.name,
    KeyConditionExpression: '#status = :status',
    ExpressionAttributeNames: { '#status': STATUS_INDEX.hashKey },
    ExpressionAttributeValues: { ':status': status },
    ScanIndexForward: false,
    Limit: limit,
  }));
  return (result.Items ?? []) as ImageRecord[];
}

export interface VariantUrls {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** The URL whose format the CDN picks from the Accept header. */
  readonly negotiatedUrl: string;
  readonly formats: ReadonlyArray<{ readonly format: OutputFormat; readonly bytes: number; readonly url: string; readonly key: string }>;
}

/** An image's variants grouped by name (in the order they were made), with every URL. */
export function variantUrls(cdnUrl: string, record: ImageRecord): VariantUrls[] {
  const byName = new Map<string, VariantRecord[]>();
  for (const variant of record.variants ?? []) byName.set(variant.name, [...(byName.get(variant.name) ?? []), variant]);
  return [...byName].map(([name, variants]) => ({
    name,
    width: variants[0].width,
    height: variants[0].height,
    negotiatedUrl: `${cdnUrl}${negotiatedPath(record.image_id, name)}`,
    formats: variants
      .filter((variant) => isOutputFormat(variant.format))
      .map((variant) => ({
        format: variant.format as OutputFormat,
        bytes: variant.bytes,
        key: variant.key,
        url: `${cdnUrl}${explicitPath(variant.format as OutputFormat, record.image_id, name)}`,
      })),
  }));
}

/** An id the table does not know: locally, say so when its event waits on the failure queue. */
export function missingImage(target: Target, imageId: string): UserError {
  if (target.kind === 'local') {
    const queued = findFailureMessage(target.failureQueueDir, imageId);
    if (queued) {
      return new UserError(`image ${imageId} was never processed: its event is on the failure queue `
        + `(${queued.responsePayload.errorType ?? 'Error'}: ${queued.responsePayload.errorMessage}); re-drive it with imgopt replay`);
    }
  }
  return new UserError(`no image ${imageId} in ${target.table} (${target.label})`);
}
