/**
 * Outcome notifications: one message per upload that ends, COMPLETED or FAILED, published by the processor on the
 * environment's outcome topic (constructs/outcome-topic.ts) and, locally, by the same code to the local runtime's
 * topic (local/notifications.ts). The message body, its attributes and the failures-only filter policy live here,
 * so the function, the topic's email subscription, the local runtime and the command line agree on them.
 *
 * Delivery is at least once: a message can arrive twice (a retried invocation, the stuck sweep), so subscribers
 * dedupe by `image_id` and `status`.
 */
import type { ErrorRecord, ImageRecord, OriginalRecord } from './metadata';
import { variantUrls } from './variant-urls';

/** Bumped when a field changes meaning or goes away; new fields do not bump it. */
export const OUTCOME_MESSAGE_VERSION = 1;

export type OutcomeStatus = 'COMPLETED' | 'FAILED';

/** Names of the SNS message attributes, for subscription filter policies. */
export const OUTCOME_ATTRIBUTES = {
  /** COMPLETED or FAILED. */
  status: 'status',
  /** The failure's reason code (lib/failures.ts); only on FAILED. */
  reason: 'reason',
  /** The environment suffix (dev, prod, pr42). */
  environment: 'environment',
} as const;

/** The filter policy of the optional email subscription: failures only. */
export const FAILURES_ONLY_FILTER_POLICY: Readonly<Record<string, readonly string[]>> = {
  [OUTCOME_ATTRIBUTES.status]: ['FAILED'],
};

export interface OutcomeRendition {
  readonly format: string;
  readonly url: string;
  readonly bytes: number;
  readonly animated?: boolean;
  readonly quality?: number;
  readonly score?: number;
}

export interface OutcomeVariant {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** The URL whose format the CDN picks from the browser's Accept header. */
  readonly url: string;
  readonly formats: readonly OutcomeRendition[];
}

export interface OutcomeMessage {
  readonly version: typeof OUTCOME_MESSAGE_VERSION;
  readonly environment: string;
  readonly image_id: string;
  readonly status: OutcomeStatus;
  readonly source: { readonly bucket: string; readonly key: string; readonly version_id?: string };
  /** When the upload ended (the item's completed_at). */
  readonly finished_at: string;
  readonly attempts: number;
  /** COMPLETED: what the upload turned out to be. FAILED: present when the bytes were read far enough. */
  readonly original?: OriginalRecord;
  /** COMPLETED only. */
  readonly variants?: readonly OutcomeVariant[];
  readonly bytes_in?: number;
  readonly bytes_out?: number;
  readonly bytes_saved?: number;
  /** FAILED only: the reason code and its message. */
  readonly error?: ErrorRecord;
}

export interface OutcomeAttribute {
  readonly DataType: 'String';
  readonly StringValue: string;
}

/** Whether an item has ended (so it has an outcome to announce). */
export function isFinal(record: Pick<ImageRecord, 'status'>): record is Pick<ImageRecord, 'status'> & { status: OutcomeStatus } {
  return record.status === 'COMPLETED' || record.status === 'FAILED';
}

/** The message for an item that has ended; `cdnUrl` is the CDN's base URL (`https://d123.cloudfront.net`). */
export function outcomeMessage(record: ImageRecord, environment: string, cdnUrl: string): OutcomeMessage {
  if (!isFinal(record)) throw new Error(`image ${record.image_id} is ${record.status}: only an ended upload has an outcome`);
  const common = {
    version: OUTCOME_MESSAGE_VERSION,
    environment,
    image_id: record.image_id,
    status: record.status,
    source: {
      bucket: record.source.bucket,
      key: record.source.key,
      ...(record.source.version_id ? { version_id: record.source.version_id } : {}),
    },
    finished_at: record.completed_at ?? record.updated_at,
    attempts: record.attempts,
    ...(record.original ? { original: record.original } : {}),
  } as const;
  if (record.status === 'FAILED') {
    return { ...common, error: record.error ?? { code: 'UNKNOWN', message: 'the item records no reason' } };
  }
  return {
    ...common,
    variants: variantUrls(cdnUrl, record).map((variant) => ({
      name: variant.name,
      width: variant.width,
      height: variant.height,
      url: variant.negotiatedUrl,
      formats: variant.formats.map((rendition) => ({
        format: rendition.format,
        url: rendition.url,
        bytes: rendition.bytes,
        ...(rendition.animated ? { animated: true } : {}),
        ...(rendition.quality !== undefined ? { quality: rendition.quality } : {}),
        ...(rendition.score !== undefined ? { score: rendition.score } : {}),
      })),
    })),
    ...(record.bytes_in !== undefined ? { bytes_in: record.bytes_in } : {}),
    ...(record.bytes_out !== undefined ? { bytes_out: record.bytes_out } : {}),
    ...(record.bytes_saved !== undefined ? { bytes_saved: record.bytes_saved } : {}),
  };
}

/** The message's SNS attributes: what filter policies match on. */
export function outcomeAttributes(message: OutcomeMessage): Record<string, OutcomeAttribute> {
  const string = (value: string): OutcomeAttribute => ({ DataType: 'String', StringValue: value });
  return {
    [OUTCOME_ATTRIBUTES.status]: string(message.status),
    [OUTCOME_ATTRIBUTES.environment]: string(message.environment),
    ...(message.error ? { [OUTCOME_ATTRIBUTES.reason]: string(message.error.code) } : {}),
  };
}

/** The subject line SNS gives email subscribers (at most 100 characters). */
export function outcomeSubject(message: OutcomeMessage): string {
  const what = message.status === 'FAILED' ? `failed (${message.error?.code ?? 'UNKNOWN'})` : 'is ready';
  return `[${message.environment}] image ${message.image_id} ${what}`.slice(0, 100);
}
