/**
 * The local failure queue: the folder `<data>/failure-queue/` stands in for the SQS queue that Lambda's on-failure
 * destination sends to. Each file is one message, and its content is exactly the body Lambda puts on the queue
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), so a message read here and
 * one received from the deployed queue are replayed by the same code (`imgopt replay`).
 *
 * A reader claims a message by renaming it (the folder's visibility timeout), deletes it once the replay was
 * accepted, and puts it back otherwise.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { uploadsFromEvent } from '../functions/processor/event';
import { jsonFiles } from './json-folder';

/** Why Lambda gave up on an asynchronous invocation. */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** The error a failed invocation returned, as Lambda serializes it. */
export interface FunctionError {
  readonly errorType?: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/** The body of one on-failure destination message. */
export interface FailureDestinationMessage {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: FailureCondition;
    readonly approximateInvokeCount: number;
  };
  /** The event the function was invoked with, unchanged. */
  readonly requestPayload: unknown;
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: 'Unhandled' | 'Handled';
  };
  readonly responsePayload: FunctionError;
}

export interface QueuedMessage {
  /** File name of the message inside the queue folder. */
  readonly id: string;
  readonly body: FailureDestinationMessage;
}

/** The failure queue's folder inside a data folder. */
export function failureQueueDir(dataDir: string): string {
  return path.join(dataDir, 'failure-queue');
}

export function failureMessage(options: {
  requestId: string;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  event: unknown;
  error: FunctionError;
  now?: Date;
}): FailureDestinationMessage {
  return {
    version: '1.0',
    timestamp: (options.now ?? new Date()).toISOString(),
    requestContext: {
      requestId: options.requestId,
      functionArn: `${options.functionArn}:$LATEST`,
      condition: options.condition,
      approximateInvokeCount: options.invokeCount,
    },
    requestPayload: options.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: options.error,
  };
}

/** Writes one message; the file appears whole or not at all. Returns its path. */
export function sendFailureMessage(dir: string, message: FailureDestinationMessage): string {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = message.timestamp.replace(/[:.]/g, '-');
  const file = path.join(dir, `${stamp}-${message.requestContext.requestId}.json`);
  const staging = `${file}.tmp`;
  fs.writeFileSync(staging, `${JSON.stringify(message, null, 2)}\n`);
  fs.renameSync(staging, file);
  return file;
}

/** The messages waiting in the queue, oldest first. Files that are not messages are left alone and not listed. */
export function listFailureMessages(dir: string): QueuedMessage[] {
  const names = jsonFiles(dir);
  return names.flatMap((id) => {
    try {
      const body = JSON.parse(fs.readFileSync(path.join(dir, id), 'utf8')) as FailureDestinationMessage;
      return body?.requestContext?.requestId ? [{ id, body }] : [];
    } catch {
      // Claimed (renamed) by a replay between the listing and the read, or not a message at all.
      return [];
    }
  });
}

/**
 * Takes a message out of the queue for as long as `work` runs: deleted when it resolves, put back when it throws.
 * Returns false when another reader claimed it first.
 */
export async function withClaimedMessage(dir: string, id: string, work: () => Promise<void>): Promise<boolean> {
  const file = path.join(dir, id);
  const claimed = `${file}.claimed-${process.pid}`;
  try {
    fs.renameSync(file, claimed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    await work();
  } catch (error) {
    fs.renameSync(claimed, file);
    throw error;
  }
  fs.rmSync(claimed, { force: true });
  return true;
}

/** The image ids of the uploads in a message's event, derived as the processor derives them. */
export function messageImageIds(message: FailureDestinationMessage): string[] {
  try {
    return uploadsFromEvent(message.requestPayload as S3Event).map((upload) => upload.imageId);
  } catch {
    return [];
  }
}

/** The newest message holding an upload with this image id, sent at or after `since` (ms), if any. */
export function findFailureMessage(dir: string, imageId: string, since = 0): FailureDestinationMessage | undefined {
  return listFailureMessages(dir)
    .map((message) => message.body)
    .filter((body) => Date.parse(body.timestamp) >= since && messageImageIds(body).includes(imageId))
    .pop();
}
