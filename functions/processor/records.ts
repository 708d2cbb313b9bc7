/**
 * The metadata item's life: claimed as PROCESSING by one attempt, then COMPLETED or FAILED by that same attempt.
 *
 * Every write is conditional:
 * - an attempt claims the item only if it does not exist, or it is PROCESSING and the previous attempt's lease ran
 *   out (that attempt crashed or timed out) or was released (it hit a transient error and will be retried);
 * - an attempt finishes the item only while it still holds it (same `attempt_id`), so a duplicate or older attempt
 *   can never overwrite a newer result;
 * - a COMPLETED or FAILED item is final: a duplicate delivery finds it and does nothing.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ErrorRecord, ImageRecord, OriginalRecord, SourceRecord, VariantRecord } from '../../lib/metadata';

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
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.table, Key: { image_id: imageId }, ConsistentRead: true }));
    return Item as ImageRecord | undefined;
  }

  /** Claims the item for one attempt, holding it until `leaseMs` from now. */
  async claim(imageId: string, source: SourceRecord, leaseMs: number): Promise<Claim> {
    const now = this.now();
    const attemptId = randomUUID();
    try {
      const { Attributes } = await this.documents.send(new UpdateCommand({
        TableName: this.table,
        Key: { image_id: imageId },
        UpdateExpression: 'SET #status = :processing, #source = :source, attempt_id = :attempt, lease_expires_at = :lease, '
          + 'attempts = if_not_exists(attempts, :zero) + :one, created_at = if_not_exists(created_at, :now), updated_at = :now',
        ConditionExpression: 'attribute_not_exists(image_id) OR (#status = :processing AND lease_expires_at < :now)',
        ExpressionAttributeNames: { '#status': 'status', '#source': 'source' },
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

  /** Records the result; false when this attempt no longer holds the item (another attempt took it over). */
  async complete(imageId: string, attemptId: string, result: Completion): Promise<boolean> {
    const now = this.now().toISOString();
    return this.finish(imageId, attemptId,
      'SET #status = :completed, original = :original, variants = :variants, bytes_in = :in, bytes_out = :out, '
        + 'bytes_saved = :saved, placeholder = :placeholder, processing_ms = :ms, updated_at = :now, completed_at = :now '
        + 'REMOVE attempt_id, lease_expires_at, #error',
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
  async fail(imageId: string, attemptId: string, error: ErrorRecord, processingMs: number, original?: OriginalRecord): Promise<boolean> {
    const now = this.now().toISOString();
    return this.finish(imageId, attemptId,
      `SET #status = :failed, #error = :error, processing_ms = :ms, updated_at = :now, completed_at = :now${original ? ', original = :original' : ''} `
        + 'REMOVE attempt_id, lease_expires_at',
      { ':failed': 'FAILED', ':error': error, ':ms': processingMs, ':now': now, ...(original ? { ':original': original } : {}) });
  }

  /** Gives the item up after a transient error, so the retry that follows can claim it at once. */
  async release(imageId: string, attemptId: string, error: ErrorRecord): Promise<boolean> {
    const now = this.now().toISOString();
    return this.finish(imageId, attemptId, 'SET lease_expires_at = :expired, #error = :error, updated_at = :now',
      { ':expired': new Date(0).toISOString(), ':error': error, ':now': now });
  }

  private async finish(imageId: string, attemptId: string, update: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.documents.send(new UpdateCommand({
        TableName: this.table,
        Key: { image_id: imageId },
        UpdateExpression: update,
        ConditionExpression: 'attempt_id = :attempt',
        ExpressionAttributeNames: { ...(update.includes('#status') ? { '#status': 'status' } : {}), ...(update.includes('#error') ? { '#error': 'error' } : {}) },
        ExpressionAttributeValues: { ...values, ':attempt': attemptId },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
