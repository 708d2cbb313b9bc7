/**
 * The processor's Lambda entry point: a thin handler over the modules that do the work.
 *
 * Every record of the S3 event is processed, one after another (each image already encodes its variants in
 * parallel, and one at a time bounds the memory). A permanent failure (bad input) is recorded as FAILED and the
 * handler returns normally: Lambda does not retry it. A transient failure (throttling, 5xx, network) is thrown
 * after the other records are done, so Lambda retries the event; records already finished come back as duplicates
 * and are skipped, and what still fails after the retries lands on the failure queue with the original event.
 * Every upload that ends is announced on the outcome topic (announce.ts).
 *
 * The same function runs the stuck sweep (sweep.ts) when EventBridge's schedule invokes it.
 */
import { availableParallelism } from 'node:os';
import type { Context, S3Event, ScheduledEvent } from 'aws-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import sharp from 'sharp';
import { readFunctionConfig } from '../../lib/function-environment';
import { uploadsFromEvent } from './event';
import { configuredMemoryMb, limitsForMemory } from './limits';
import { Log } from './log';
import { Metrics } from './metrics';
import { Announcer } from './announce';
import { UploadResult, processUpload } from './process';
import { MetadataStore } from './records';
import { SweepReport, sweep } from './sweep';

export type { UploadResult } from './process';
export type { SweepReport } from './sweep';

export interface ProcessorReport {
  readonly results: UploadResult[];
}

/** The schedule's event (EventBridge, or the local runtime's timer in the same shape). */
export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  return typeof event === 'object' && event !== null && (event as ScheduledEvent)['detail-type'] === 'Scheduled Event';
}

// Created once per container and reused by every invocation it serves.
// libvips' operation cache only helps when the same file is processed again; here it would only hold memory.
sharp.cache(false);
const s3 = new S3Client({});
const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});

export async function handler(event: S3Event | ScheduledEvent, context: Context): Promise<ProcessorReport | SweepReport> {
  const config = readFunctionConfig(process.env);
  const log = new Log({ environment: config.environment });
  log.addContext(context);
  const store = new MetadataStore(dynamodb, config.table);
  const metrics = new Metrics(config.metricsNamespace, config.environment);
  const announcer = new Announcer({ sns, topicArn: config.outcomeTopicArn, environment: config.environment, cdnUrl: config.cdnUrl, store });
  if (isScheduledEvent(event)) {
    return sweep({ store, announcer, metrics, log, stuckAfterSeconds: config.stuckAfterSeconds });
  }

  const uploads = uploadsFromEvent(event);
  const deps = {
    config,
    s3,
    store,
    metrics,
    announcer,
    log,
    // The invocation's time left at its start is the function's timeout, less its cold start.
    limits: limitsForMemory(configuredMemoryMb(), context.getRemainingTimeInMillis?.()),
    concurrency: Math.max(1, Math.min(4, availableParallelism())),
  };

  const results: UploadResult[] = [];
  let transient: unknown;
  for (const upload of uploads) {
    try {
      results.push(await processUpload(upload, deps));
    } catch (error) {
      transient ??= error;
    }
  }
  if (transient) throw transient;
  return { results };
}
