/**
 * Reading the metadata table (one item per image, and the status index for reports), and how the command line
 * words an image's variants (their URLs come from lib/variant-urls.ts).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { qualityLabel } from '../lib/formats';
import { IMAGE_ID_PATTERN } from '../lib/keys';
import { IMAGE_ID_ATTRIBUTE, ImageRecord, ImageStatus, OriginalRecord, STATUS_INDEX, ScoreSource } from '../lib/metadata';
import { expected } from '../lib/problems';
import { findFailureMessage } from '../local/failure-queue';
import { UsageError, UserError } from './errors';
import type { Target } from './target';

export { variantUrls } from '../lib/variant-urls';
import type { VariantUrls } from '../lib/variant-urls';
import { formatBytes } from './format';
export type { VariantUrls } from '../lib/variant-urls';

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

/** Images PROCESSING since before `before` (their last claim or release), oldest first. */
export async function processingSince(target: Target, before: Date, limit: number): Promise<ImageRecord[]> {
  const result = await target.dynamodb.send(new QueryCommand({
    TableName: target.table,
    IndexName: STATUS_INDEX.name,
    KeyConditionExpression: '#status = :status AND #updated < :before',
    ExpressionAttributeNames: { '#status': STATUS_INDEX.hashKey, '#updated': STATUS_INDEX.rangeKey },
    ExpressionAttributeValues: { ':status': 'PROCESSING', ':before': before.toISOString() },
    ScanIndexForward: true,
    Limit: limit,
  }));
  return (result.Items ?? []) as ImageRecord[];
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

/**
 * A rendition's encoder quality and SSIMULACRA 2 score, as one column: `q60 ss2 75.5` measured, `q60 ss2 ~75.2`
 * predicted (chosen on another size), `q82` in fixed mode, blank for lossless PNG; `q80 4:4:4` (JPEG) or
 * `q80 sharp YUV` (WebP) where full chroma was used (lib/formats.ts `qualityLabel`).
 */
export function qualityText(format: {
  readonly format: string;
  readonly quality?: number;
  readonly score?: number;
  readonly score_source?: ScoreSource;
  readonly full_chroma?: boolean;
}): string {
  const quality = format.quality !== undefined ? `q${qualityLabel(format.format, format.quality, format.full_chroma)}` : '';
  if (format.score === undefined) return quality.padEnd(15);
  return `${quality} ss2 ${format.score_source === 'predicted' ? '~' : ''}${format.score.toFixed(1)}`.padEnd(15);
}

/**
 * The variants of an item as `imgopt upload` and `imgopt status` list them, each line starting with `indent`: per
 * variant its size and negotiated URL, then per rendition its format, bytes, quality and score, and URL. The quality
 * column is as wide as its widest entry (`q77 sharp YUV ss2 ~75.7`), so the URLs line up.
 */
export function variantLines(variants: readonly VariantUrls[], indent: string): string[] {
  const width = Math.max(0, ...variants.flatMap((variant) => variant.formats.map((format) => qualityText(format).length)));
  return variants.flatMap((variant) => [
    `${indent}${variant.name.padEnd(6)} ${`${variant.width}x${variant.height}`.padEnd(10)} ${variant.negotiatedUrl}`,
    ...variant.formats.map((format) =>
      `${indent}${''.padEnd(6)} ${format.format.padEnd(5)}${formatBytes(format.bytes).padStart(9)}  ${qualityText(format).padEnd(width)} ${format.url}${renditionNote(format, variant.frames)}`),
  ]);
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
