/**
 * The processor's Lambda entry point: a thin handler over the modules that do the work.
 *
 * Every record of the S3 event is processed, one after another (each image already encodes its variants in
 * parallel, and one at a time bounds the memory). A permanent failure (bad input) is recorded as FAILED and the
 * handler returns normally: Lambda does not retry it. A transient failure (throttling, 5xx, network) is thrown
 * after the other records are done, so Lambda retries the event; records already finished come back as duplicates
 * and are skipped, and what still fails after the retries lands on the failure queue with the original event.
 */
import { availableParallelism } from 'node:os';
import type { Context, S3Event } from 'aws-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { readFunctionConfig } from '../../lib/function-environment';
import { uploadsFromEvent } from './event';
import { configuredMemoryMb, limitsForMemory } from './limits';
import { Log } from './log';
import { Metrics } from './metrics';
import { UploadResult, processUpload } from './process';
import { MetadataStore } from './records';

export type { UploadResult } from './process';

export interface ProcessorReport {
  readonly results: UploadResult[];
}

// Created once per container and reused by every invocation it serves.
// libvips' operation cache only helps when the same file is processed again; here it would only hold memory.
sharp.cache(false);
const s3 = new S3Client({});
const dynamodb = new DynamoDBClient({});

/** Lease of an attempt that dies without a word: the time the invocation has left, plus a margin. */
const LEASE_MARGIN_MS = 5_000;

export async function handler(event: S3Event, context: Context): Promise<ProcessorReport> {
  const config = readFunctionConfig(process.env);
  const log = new Log({ environment: config.environment });
  log.addContext(context);
  const uploads = uploadsFromEvent(event);
  const deps = {
    config,
    s3,
    store: new MetadataStore(dynamodb, config.table),
    metrics: new Metrics(config.metricsNamespace, config.environment),
    log,
    // The invocation's time left at its start is the function's timeout, less its cold start.
    limits: limitsForMemory(configuredMemoryMb(), context.getRemainingTimeInMillis?.()),
    concurrency: Math.max(1, Math.min(4, availableParallelism())),
  };

  const results: UploadResult[] = [];
  let transient: unknown;
  for (const upload of uploads) {
    try {
      const leaseMs = (context.getRemainingTimeInMillis?.() ?? 60_000) + LEASE_MARGIN_MS;
      results.push(await processUpload(upload, deps, leaseMs));
    } catch (error) {
      transient ??= error;
    }
  }
  if (transient) throw transient;
  return { results };
}
