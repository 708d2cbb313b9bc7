/**
 * Re-driving the failure queue, shared by `imgopt replay` and the local console's replay action. Each message's
 * original event (`requestPayload`) is invoked again asynchronously (Lambda's Invoke with InvocationType Event:
 * retries and the failure queue apply again), and the message is deleted only once the invocation was accepted
 * (202); a message whose invoke fails stays queued.
 *
 * The same code serves both targets: the local runtime's failure-queue folder and Lambda Invoke API, or the
 * deployed SQS queue and function.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { FailureDestinationMessage, listFailureMessages, messageImageIds, withClaimedMessage } from '../local/failure-queue';
import type { DeployedTarget, LocalTarget, Target } from './target';

export interface ReplayOptions {
  /** Replay at most this many messages. @default - all */
  readonly limit?: number;
  /** List what would be replayed, change nothing. @default false */
  readonly dryRun?: boolean;
  /** Only these local messages (file names in the queue folder). @default - every message */
  readonly messageIds?: readonly string[];
}

export async function replayFailures(target: Target, options: ReplayOptions = {}): Promise<Replayed[]> {
  const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
  const dryRun = options.dryRun ?? false;
  return target.kind === 'local'
    ? replayFolder(target, limit, dryRun, options.messageIds)
    : replayQueue(target, limit, dryRun);
}

export interface Replayed {
  readonly request_id: string;
  readonly image_ids: readonly string[];
  readonly error: string;
  /** Whether the invocation was accepted (and the message deleted). */
  readonly replayed: boolean;
  readonly problem?: string;
}

/** How long a message received from SQS stays hidden from other readers while it is replayed. */
const VISIBILITY_TIMEOUT_SECONDS = 120;

function describeMessage(body: FailureDestinationMessage): Omit<Replayed, 'replayed'> {
  const error = body.responsePayload ?? { errorMessage: 'no error recorded' };
  return {
    request_id: body.requestContext.requestId,
    image_ids: messageImageIds(body),
    error: `${error.errorType ?? 'Error'}: ${error.errorMessage}`,
  };
}

/** Invokes the function asynchronously with the original event; resolves once Lambda accepted it. */
async function invokeAgain(target: Target, body: FailureDestinationMessage): Promise<void> {
  const answer = await target.lambda.send(new InvokeCommand({
    FunctionName: target.functionName,
    InvocationType: 'Event',
    Payload: Buffer.from(JSON.stringify(body.requestPayload)),
  }));
  if (answer.StatusCode !== 202) throw new Error(`the invoke answered ${answer.StatusCode}, not 202`);
}

async function replayFolder(target: LocalTarget, limit: number, dryRun: boolean, ids?: readonly string[]): Promise<Replayed[]> {
  const results: Replayed[] = [];
  const messages = listFailureMessages(target.failureQueueDir).filter((message) => !ids || ids.includes(message.id));
  for (const message of messages.slice(0, limit)) {
    const described = describeMessage(message.body);
    if (dryRun) {
      results.push({ ...described, replayed: false });
      continue;
    }
    try {
      const claimed = await withClaimedMessage(target.failureQueueDir, message.id, () => invokeAgain(target, message.body));
      // Another replay took it between the listing and the claim.
      if (claimed) results.push({ ...described, replayed: true });
    } catch (error) {
      results.push({ ...described, replayed: false, problem: (error as Error).message });
    }
  }
  return results;
}

async function replayQueue(target: DeployedTarget, limit: number, dryRun: boolean): Promise<Replayed[]> {
  const results: Replayed[] = [];
  while (results.length < limit) {
    const received = await target.sqs.send(new ReceiveMessageCommand({
      QueueUrl: target.failureQueueUrl,
      MaxNumberOfMessages: Math.min(10, limit - results.length),
      WaitTimeSeconds: 1,
      // A dry run only peeks: its messages come back at once for the real replay.
      VisibilityTimeout: dryRun ? 0 : VISIBILITY_TIMEOUT_SECONDS,
    }));
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    for (const message of messages) {
      let body: FailureDestinationMessage;
      try {
        body = JSON.parse(message.Body ?? '') as FailureDestinationMessage;
        if (!body.requestContext || !('requestPayload' in body)) throw new Error('no requestPayload');
      } catch {
        results.push({
          request_id: message.MessageId ?? '?',
          image_ids: [],
          error: 'not a Lambda on-failure destination message',
          replayed: false,
          problem: 'left on the queue: not a Lambda failure record',
        });
        continue;
      }
      const described = describeMessage(body);
      if (dryRun) {
        results.push({ ...described, replayed: false });
        continue;
      }
      try {
        await invokeAgain(target, body);
      } catch (error) {
        results.push({ ...described, replayed: false, problem: (error as Error).message });
        continue;
      }
      await target.sqs.send(new DeleteMessageCommand({ QueueUrl: target.failureQueueUrl, ReceiptHandle: message.ReceiptHandle }));
      results.push({ ...described, replayed: true });
    }
    // A dry run sees the same messages again at once: one batch is what it can show.
    if (dryRun) break;
  }
  return results;
}
