/**
 * Announcing outcomes: one message per ended upload on the outcome topic (lib/outcomes.ts), then `announced_at` on
 * the item. The publish comes after the final table write and before the invocation succeeds, so nothing is lost:
 * - SNS throttled or down past the SDK's own retries: the error is thrown, the invocation fails, and Lambda's retry
 *   finds the item ended but not announced and announces it (`processUpload`'s duplicate path);
 * - the function dies between the write and the publish: the same retry does it;
 * - the retries run out too: the stuck sweep (sweep.ts) announces ended items left unannounced.
 * A crash between the publish and `announced_at` announces twice: subscribers dedupe by image id and status.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { ImageRecord } from '../../lib/metadata';
import { isFinal, outcomeAttributes, outcomeMessage, outcomeSubject } from '../../lib/outcomes';
import type { Log } from './log';
import type { MetadataStore } from './records';

export interface AnnouncerOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly environment: string;
  readonly cdnUrl: string;
  readonly store: MetadataStore;
}

export class Announcer {
  constructor(private readonly options: AnnouncerOptions) {}

  /** Publishes the item's outcome and records it; returns the SNS message id. Throws when the publish fails. */
  async announce(record: ImageRecord, log: Log): Promise<string | undefined> {
    if (!isFinal(record)) throw new Error(`image ${record.image_id} is ${record.status}: it has no outcome to announce yet`);
    const { sns, topicArn, environment, cdnUrl, store } = this.options;
    const message = outcomeMessage(record, environment, cdnUrl);
    const published = await sns.send(new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify(message),
      Subject: outcomeSubject(message),
      MessageAttributes: outcomeAttributes(message),
    }));
    const first = await store.markAnnounced(record.image_id, record.status);
    log.info('outcome announced', { status: record.status, message_id: published.MessageId, first_announcement: first });
    return published.MessageId;
  }
}
