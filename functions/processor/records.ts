/**
 * The metadata item's life: claimed as PROCESSING by one attempt, then COMPLETED or FAILED by that same attempt.
 *
 * Every write is conditional:
 * - an attempt claims the item only if it does not exist, or it is PROCESSING and the previous attempt's lease ran
 *   out (that attempt crashed or timed out) or was released (it hit a transient error and will be retried);
 * - an attempt finishes the item only while it still holds it (same `attempt_id`), so a duplicate or older attempt
 *   can never overwrite a newer result;
 * - a COMPLETED or FAILED item is final: a duplicate delivery finds it and does nothing, but announce its outcome
 *   when the attempt that ended it did not (`announced_at` is absent).
 *
 * The claim is a lease (lib/lease.ts): the holder renews it while it works (`keepClaimed`), so a dead holder's
 * claim runs out quickly and the retry that follows takes the upload over.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, QueryCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  ATTRIBUTE, ErrorRecord, IMAGE_ID_ATTRIBUTE, ImageRecord, ImageStatus, OriginalRecord, STATUS_INDEX, SourceRecord, VariantRecord,
} from '../../lib/metadata';

export type Claim =
  | { readonly claimed: true; readonly attemptId: string; readonly attempts: number }
  | { readonly claimed: false; readonly existing: ImageRecord };

export interface Completion {
  readonly original: OriginalRecord;
  readonly variants: readonly VariantRecord[];
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly bytesSaved: number;
  readonly placeholder: string;
  readonly processingMs: number;
}

export class MetadataStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table: string, private readonly now: () => Date = () => new Date()) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(imageId: string): Promise<ImageRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.table, Key: { [IMAGE_ID_ATTRIBUTE]: imageId }, ConsistentRead: true }));
    return Item as ImageRecord | undefined;
  }

  /** Claims the item for one attempt, holding it until `leaseMs` from now. */
  async claim(imageId: string, source: SourceRecord, leaseMs: number): Promise<Claim> {
    const now = this.now();
    const attemptId = randomUUID();
    try {
      const { Attributes } = await this.documents.send(new UpdateCommand({
        TableName: this.table,
        Key: { [IMAGE_ID_ATTRIBUTE]: imageId },
        UpdateExpression: 'SET #status = :processing, #source = :source, #attempt = :attempt, #lease = :lease, '
          + 'attempts = if_not_exists(attempts, :zero) + :one, created_at = if_not_exists(created_at, :now), #updated = :now',
        ConditionExpression: 'attribute_not_exists(#id) OR (#status = :processing AND #lease < :now)',
        ExpressionAttributeNames: {
          '#id': IMAGE_ID_ATTRIBUTE, '#status': ATTRIBUTE.status, '#source': 'source', '#attempt': ATTRIBUTE.attemptId,
          '#lease': ATTRIBUTE.leaseExpiresAt, '#updated': ATTRIBUTE.updatedAt,
        },
        ExpressionAttributeValues: {
          ':processing': 'PROCESSING',
          ':source': source,
          ':attempt': attemptId,
          ':lease': new Date(now.getTime() + leaseMs).toISOString(),
          ':zero': 0,
          ':one': 1,
          ':now': now.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }));
      return { claimed: true, attemptId, attempts: Number(Attributes?.attempts ?? 1) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(imageId);
      // Gone between the two calls cannot happen (items are never deleted), but a claim then is the honest answer.
      if (!existing) return this.claim(imageId, source, leaseMs);
      return { claimed: false, existing };
    }
  }

  /**
   * Renews this attempt's claim until `leaseMs` from now, every `everyMs`, until the returned function is called.
   * A renewal that fails is logged and tried again at the next tick; the claim is only lost when it runs out.
   */
  keepClaimed(imageId: string, attemptId: string, leaseMs: number, everyMs: number, onProblem: (problem: string) => void): () => void {
    let stopped = false;
    const timer = setInterval(() => {
      this.renew(imageId, attemptId, leaseMs).then((held) => {
        if (!held && !stopped) onProblem('the claim was taken over by another attempt: this attempt\'s result will not be recorded');
      }, (error: Error) => onProblem(`the claim could not be renewed (${error.name}: ${error.message}); it is tried again in ${everyMs} ms`));
    }, everyMs);
    // A pending renewal never keeps a finished invocation (or the local worker) alive.
    timer.unref?.();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  /** Moves this attempt's lease to `leaseMs` from now; false when it no longer holds the item. */
  async renew(imageId: string, attemptId: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    return (await this.finish(imageId, attemptId, 'SET #lease = :lease',
      { ':lease': new Date(now.getTime() + leaseMs).toISOString() }, '#status = :processing', { ':processing': 'PROCESSING' })) !== undefined;
  }

  /** Records the result; undefined when this attempt no longer holds the item (another attempt took it over). */
  async complete(imageId: string, attemptId: string, result: Completion): Promise<ImageRecord | undefined> {
    const now = this.now().toISOString();
    return this.finish(imageId, attemptId,
      'SET #status = :completed, original = :original, variants = :variants, bytes_in = :in, bytes_out = :out, '
        + 'bytes_saved = :saved, placeholder = :placeholder, processing_ms = :ms, #updated = :now, completed_at = :now '
        + 'REMOVE #attempt, #lease, #error',
      {
        ':completed': 'COMPLETED',
        ':original': result.original,
        ':variants': result.variants,
        ':in': result.bytesIn,
        ':out': result.bytesOut,
        ':saved': result.bytesSaved,
        ':placeholder': result.placeholder,
        ':ms': result.processingMs,
        ':now': now,
      });
  }

  /** Records a permanent failure: final, never retried. */
  async fail(imageId: string, attemptId: string, error: ErrorRecord, processingMs: number, original?: OriginalRecord): Promise<ImageRecord | undefined> {
    const now = this.now().toISOString();
    return this.finish(imageId, attemptId,
      `SET #status = :failed, #error = :error, processing_ms = :ms, #updated = :now, completed_at = :now${original ? ', original = :original' : ''} `
        + 'REMOVE #attempt, #lease',
      { ':failed': 'FAILED', ':error': error, ':ms': processingMs, ':now': now, ...(original ? { ':original': original } : {}) });
  }

  /** Gives the item up after a transient error, so the retry that follows can claim it at once. */
  async release(imageId: string, attemptId: string, error: ErrorRecord): Promise<boolean> {
    const now = this.now().toISOString();
    return (await this.finish(imageId, attemptId, 'SET #lease = :expired, #error = :error, #updated = :now',
      { ':expired': new Date(0).toISOString(), ':error': error, ':now': now })) !== undefined;
  }

  /** Records that the outcome was published; false when it already was (another delivery announced it too). */
  async markAnnounced(imageId: string, status: ImageStatus): Promise<boolean> {
    try {
      await this.documents.send(new UpdateCommand({
        TableName: this.table,
        Key: { [IMAGE_ID_ATTRIBUTE]: imageId },
        UpdateExpression: 'SET #announced = :now',
        ConditionExpression: '#status = :status AND attribute_not_exists(#announced)',
        ExpressionAttributeNames: { '#status': ATTRIBUTE.status, '#announced': ATTRIBUTE.announcedAt },
        ExpressionAttributeValues: { ':status': status, ':now': this.now().toISOString() },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Items PROCESSING since before `before` (their last claim or release): stuck, when `before` is far enough back. */
  async processingSince(before: Date, limit: number): Promise<ImageRecord[]> {
    return this.queryStatus('PROCESSING', { lt: before.toISOString() }, limit);
  }

  /** Ended items updated between `from` and `to` whose outcome was never announced. */
  async unannounced(from: Date, to: Date, limit: number): Promise<ImageRecord[]> {
    const range = { between: [from.toISOString(), to.toISOString()] as const };
    const found: ImageRecord[] = [];
    for (const status of ['COMPLETED', 'FAILED'] as const) {
      found.push(...await this.queryStatus(status, range, limit - found.length, true));
      if (found.length >= limit) break;
    }
    return found;
  }

  /** Pages through one status in the status index (oldest first), optionally only the unannounced items. */
  private async queryStatus(
    status: ImageStatus,
    range: { readonly lt: string } | { readonly between: readonly [string, string] },
    limit: number,
    unannouncedOnly = false,
  ): Promise<ImageRecord[]> {
    const found: ImageRecord[] = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.documents.send(new QueryCommand({
        TableName: this.table,
        IndexName: STATUS_INDEX.name,
        KeyConditionExpression: 'lt' in range ? '#status = :status AND #updated < :lt' : '#status = :status AND #updated BETWEEN :from AND :to',
        ...(unannouncedOnly ? { FilterExpression: 'attribute_not_exists(#announced)' } : {}),
        ExpressionAttributeNames: {
          '#status': STATUS_INDEX.hashKey, '#updated': STATUS_INDEX.rangeKey, ...(unannouncedOnly ? { '#announced': ATTRIBUTE.announcedAt } : {}),
        },
        ExpressionAttributeValues: {
          ':status': status,
          ...('lt' in range ? { ':lt': range.lt } : { ':from': range.between[0], ':to': range.between[1] }),
        },
        ExclusiveStartKey: start,
      }));
      found.push(...(page.Items ?? []) as ImageRecord[]);
      start = page.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found.slice(0, limit);
  }

  /** A conditional update by the attempt that holds the item: the item as it is now, or undefined when it does not. */
  private async finish(
    imageId: string,
    attemptId: string,
    update: string,
    values: Record<string, unknown>,
    condition?: string,
    conditionValues: Record<string, unknown> = {},
  ): Promise<ImageRecord | undefined> {
    const names: Record<string, string> = {
      '#attempt': ATTRIBUTE.attemptId,
      '#status': ATTRIBUTE.status,
      '#lease': ATTRIBUTE.leaseExpiresAt,
      '#updated': ATTRIBUTE.updatedAt,
      '#error': 'error',
    };
    const expression = `${update} ${condition ?? ''}`;
    try {
      const { Attributes } = await this.documents.send(new UpdateCommand({
        TableName: this.table,
        Key: { [IMAGE_ID_ATTRIBUTE]: imageId },
        UpdateExpression: update,
        ConditionExpression: `#attempt = :attempt${condition ? ` AND ${condition}` : ''}`,
        ExpressionAttributeNames: Object.fromEntries(Object.entries(names).filter(([name]) => name === '#attempt' || expression.includes(name))),
        ExpressionAttributeValues: { ...values, ...conditionValues, ':attempt': attemptId },
        ReturnValues: 'ALL_NEW',
      }));
      return Attributes as ImageRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
