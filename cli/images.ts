/**
 * Reading the metadata table (one item per image, and the status index for reports), and the URLs of an image's
 * variants on the CDN, built from the shared key layout (lib/keys.ts).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OutputFormat, isOutputFormat } from '../lib/formats';
import { IMAGE_ID_PATTERN, explicitPath, negotiatedPath } from '../lib/keys';
import { IMAGE_ID_ATTRIBUTE, ImageRecord, ImageStatus, OriginalRecord, STATUS_INDEX, ScoreSource, VariantRecord } from '../lib/metadata';
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
  /**
   * The URL whose format the CDN picks from the Accept header: for a variant with an animated rendition, its
   * animated form (`<variant>-anim`: the animated WebP, or a still for a browser without WebP).
   */
  readonly negotiatedUrl: string;
  /** Frames of the variant's animated rendition; absent when every rendition is a still. */
  readonly frames?: number;
  readonly formats: ReadonlyArray<{
    readonly format: OutputFormat;
    readonly bytes: number;
    readonly url: string;
    readonly key: string;
    readonly animated: boolean;
    readonly quality?: number;
    readonly score?: number;
    readonly score_source?: ScoreSource;
  }>;
}

/** An image's variants grouped by name (in the order they were made), with every URL. */
export function variantUrls(cdnUrl: string, record: ImageRecord): VariantUrls[] {
  const byName = new Map<string, VariantRecord[]>();
  for (const variant of record.variants ?? []) byName.set(variant.name, [...(byName.get(variant.name) ?? []), variant]);
  return [...byName].map(([name, variants]) => {
    const animated = variants.find((variant) => variant.animated === true);
    return {
      name,
      width: variants[0].width,
      height: variants[0].height,
      negotiatedUrl: `${cdnUrl}${negotiatedPath(record.image_id, name, animated !== undefined)}`,
      ...(animated ? { frames: animated.frames } : {}),
      formats: variants
        .filter((variant) => isOutputFormat(variant.format))
        .map((variant) => ({
          format: variant.format as OutputFormat,
          bytes: variant.bytes,
          key: variant.key,
          url: `${cdnUrl}${explicitPath(variant.format as OutputFormat, record.image_id, name)}`,
          animated: variant.animated === true,
          ...(variant.quality !== undefined ? { quality: variant.quality } : {}),
          ...(variant.score !== undefined ? { score: variant.score, score_source: variant.score_source } : {}),
        })),
    };
  });
}

/**
 * A rendition's encoder quality and SSIMULACRA 2 score, as one column: `q60 ss2 75.5` measured, `q60 ss2 ~75.2`
 * predicted (chosen on another size), `q82` in fixed mode, blank for lossless PNG.
 */
export function qualityText(format: { readonly quality?: number; readonly score?: number; readonly score_source?: ScoreSource }): string {
  const quality = format.quality !== undefined ? `q${format.quality}` : '';
  if (format.score === undefined) return quality.padEnd(15);
  return `${quality} ss2 ${format.score_source === 'predicted' ? '~' : ''}${format.score.toFixed(1)}`.padEnd(15);
}

/** How a rendition is listed: `animated, 10 frames` for an animated one, nothing for a still. */
export function renditionNote(format: { readonly animated: boolean }, frames: number | undefined): string {
  return format.animated ? `  animated, ${frames ?? '?'} frames` : '';
}

/** The upload's animation, as one phrase: `animated: 10 frames, 42 s per pass, plays 3 times`. */
export function animationText(original: OriginalRecord): string | undefined {
  if (!original.animated) return undefined;
  const plays = original.loop === 0 || original.loop === undefined ? 'loops forever' : `plays ${original.loop} time${original.loop === 1 ? '' : 's'}`;
  return `animated: ${original.frames} frames, ${((original.duration_ms ?? 0) / 1000).toFixed(2)} s per pass, ${plays}`;
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
