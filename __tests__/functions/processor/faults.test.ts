/**
 * Faults between the processor and its services, injected by a real HTTP proxy in front of the real local servers
 * (local/fault-proxy.ts): the SDK's retries, the handler's release-and-throw, the conditional writes and the
 * duplicate handling are the production code's own. Only the fault itself is made up, because no real server here
 * can be told to throttle or drop a share of its requests.
 *
 * "Lambda" here is the test calling the handler again after it throws, as Lambda's asynchronous retries would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Context, S3Event } from 'aws-lambda';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { functionEnvironment } from '../../../lib/function-environment';
import { deriveImageId } from '../../../lib/keys';
import { ImageRecord } from '../../../lib/metadata';
import { resourceNames } from '../../../lib/naming';
import { overridePreset, DEFAULT_PRESET } from '../../../lib/variants';
import { FaultProxy, startFaultProxy } from '../../../local/fault-proxy';
import {
  LocalServers, createPipelineResources, localAwsEnvironment, localClientConfig, startLocalServers,
} from '../../../local/servers';
import type { ProcessorReport, SweepReport } from '../../../functions/processor';
import { METRIC } from '../../../lib/metrics';
import { MetadataStore } from '../../../functions/processor/records';
import { photoJpeg } from '../../../fixtures/images';
import { seededRandom } from '../../../fixtures/random';
import { objectCreatedEvent } from '../../../lib/s3-events';
import type { LocalTopic } from '../../../local/notifications';
import { outcomes, startTestTopic, testFunctionConfig } from '../../support/function-config';
import { captureFunctionOutput } from '../../support/function-output';

const names = resourceNames('imgfault', 'test');
/** A small preset: these tests are about delivery, not pixels. */
const PRESET = overridePreset(DEFAULT_PRESET, {
  variants: [
    { name: 'thumb', width: 64, height: 64, fit: 'cover', formats: ['webp', 'jpeg'] },
    { name: '200', width: 200, fit: 'inside', formats: ['avif', 'webp', 'jpeg'] },
  ],
});
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-'));
let servers: LocalServers;
let s3Proxy: FaultProxy;
let dynamoProxy: FaultProxy;
let snsProxy: FaultProxy;
let topic: LocalTopic;
let s3: S3Client;
let store: MetadataStore;
let handler: (event: S3Event, context: Context) => Promise<ProcessorReport>;

beforeAll(async () => {
  servers = await startLocalServers({ dataDir });
  await createPipelineResources(servers, names);
  s3Proxy = await startFaultProxy({ target: servers.s3Endpoint, service: 's3', random: seededRandom(1) });
  dynamoProxy = await startFaultProxy({ target: servers.dynamodbEndpoint, service: 'dynamodb', random: seededRandom(2) });
  topic = await startTestTopic(dataDir, names);
  snsProxy = await startFaultProxy({ target: topic.endpoint, service: 'sns', random: seededRandom(3) });
  Object.assign(process.env,
    localAwsEnvironment({ s3Endpoint: s3Proxy.endpoint, dynamodbEndpoint: dynamoProxy.endpoint, snsEndpoint: snsProxy.endpoint }),
    functionEnvironment(testFunctionConfig(names, PRESET, 'test')),
    { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' });
  // The test's own clients go straight to the servers: only the function sees the faults.
  s3 = new S3Client(localClientConfig(servers.s3Endpoint));
  store = new MetadataStore(new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint)), names.table);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = require('../../../functions/processor').handler;
  // The handler's log and metric lines are not under test here.
  captureFunctionOutput();
});

afterEach(() => {
  s3Proxy.setFaults([]);
  dynamoProxy.setFaults([]);
  snsProxy.setFaults([]);
});

afterAll(async () => {
  jest.restoreAllMocks();
  s3?.destroy();
  await Promise.all([s3Proxy?.close(), dynamoProxy?.close(), snsProxy?.close()]);
  await topic?.close();
  await servers?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const context = { awsRequestId: 'faults', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

async function upload(key: string, seed: number): Promise<{ event: S3Event; imageId: string }> {
  const body = await photoJpeg(320, 240, { seed });
  const { ETag } = await s3.send(new PutObjectCommand({ Bucket: names.uploadBucket, Key: key, Body: body }));
  const etag = ETag!.replace(/"/g, '');
  return {
    imageId: deriveImageId({ bucket: names.uploadBucket, key, etag }),
    event: objectCreatedEvent({ bucket: names.uploadBucket, key, eTag: etag, size: body.length }),
  };
}

/** Lambda's asynchronous invocation: the first try plus `retries` more while the handler throws. */
async function invokeWithRetries(event: S3Event, retries: number): Promise<{ report?: ProcessorReport; errors: number }> {
  let errors = 0;
  for (let attempt = 0; attempt <= retries; attempt += 1) {
    try {
      return { report: await handler(event, context), errors };
    } catch {
      errors += 1;
    }
  }
  return { errors };
}

async function outputsOf(imageId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const format of ['avif', 'webp', 'jpeg'] as const) {
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: names.outputBuckets[format], Prefix: `${format}/${imageId}/` }));
    keys.push(...(listing.Contents ?? []).map((object) => object.Key!));
  }
  return keys.sort();
}

async function itemsFor(imageId: string): Promise<number> {
  const scan = await new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint)).send(new ScanCommand({ TableName: names.table }));
  return scan.Items!.filter((item) => item.image_id.S === imageId).length;
}

test('transient faults on a share of requests (503, throttling, 500, dropped connections, delays) end COMPLETED', async () => {
  s3Proxy.setFaults([{ kind: 'error503', rate: 0.1 }, { kind: 'drop', rate: 0.05 }, { kind: 'delay', rate: 0.1, delayMs: 150 }]);
  dynamoProxy.setFaults([{ kind: 'throttle', rate: 0.15 }, { kind: 'error500', rate: 0.05 }]);
  const uploads = await Promise.all(Array.from({ length: 8 }, (_, i) => upload(`transient/${i}.jpg`, i + 1)));
  for (const { event } of uploads) await invokeWithRetries(event, 2);

  const injected = [s3Proxy.stats().faults, dynamoProxy.stats().faults];
  expect(injected[0].error503 + injected[0].drop + injected[1].throttle + injected[1].error500).toBeGreaterThanOrEqual(4);
  for (const { imageId } of uploads) {
    const item = (await store.get(imageId)) as ImageRecord;
    expect(item).toMatchObject({ status: 'COMPLETED' });
    expect(item.variants).toHaveLength(5);
    expect(await outputsOf(imageId)).toEqual(item.variants!.map((variant) => variant.key).sort());
    expect(await itemsFor(imageId)).toBe(1);
  }
});

test('a persistent fault ends with the event thrown back to Lambda (for the failure queue), nothing marked COMPLETED; the replay completes it', async () => {
  const { event, imageId } = await upload('persistent/photo.jpg', 42);
  // Every metadata write fails after the variants are written: the worst place to fail.
  dynamoProxy.setFaults([{ kind: 'error500', rate: 1, match: /UpdateItem/ }]);
  const first = await invokeWithRetries(event, 1);
  expect(first).toEqual({ errors: 2 });
  expect(await store.get(imageId)).toBeUndefined(); // the claim itself could not be written

  // Now the claim succeeds but recording the result fails, on the first try and on Lambda's retry: the variants
  // are written, the item must not say COMPLETED, and the event goes back to Lambda (then the failure queue).
  dynamoProxy.setFaults([{ kind: 'error500', rate: 1, match: /UpdateItem/, body: /:completed/ }]);
  expect(await invokeWithRetries(event, 1)).toEqual({ errors: 2 });
  const stuck = (await store.get(imageId)) as ImageRecord;
  expect(stuck.status).toBe('PROCESSING');
  expect(stuck.completed_at).toBeUndefined();

  // The fault is gone: the replay of the original event completes it, under the same id, once.
  dynamoProxy.setFaults([]);
  const replay = await invokeWithRetries(event, 0);
  expect(replay.report!.results[0]).toMatchObject({ image_id: imageId, outcome: 'COMPLETED' });
  const item = (await store.get(imageId)) as ImageRecord;
  expect(item.status).toBe('COMPLETED');
  expect(item.attempts).toBeGreaterThanOrEqual(2);
  expect(await itemsFor(imageId)).toBe(1);
  expect(await outputsOf(imageId)).toEqual(item.variants!.map((variant) => variant.key).sort());
});

test('the same event delivered 5 times at once ends with one record, processed once, one set of objects, one announcement', async () => {
  const { event, imageId } = await upload('duplicates/photo.jpg', 7);
  const settled = await Promise.allSettled(Array.from({ length: 5 }, () => handler(event, context)));
  // The deliveries that found the upload held by the first one are not consumed: they fail as UploadInProgress,
  // so Lambda retries them. Their retries find it COMPLETED and end quietly.
  const held = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  for (const result of held) expect(result.reason).toMatchObject({ name: 'UploadInProgress', imageId });
  const done = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value.results[0].outcome] : []));
  expect(done.filter((outcome) => outcome === 'COMPLETED')).toHaveLength(1);
  for (let retry = 0; retry < held.length; retry += 1) expect((await handler(event, context)).results[0].outcome).toBe('DUPLICATE');
  const item = (await store.get(imageId)) as ImageRecord;
  expect(item).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  expect(await itemsFor(imageId)).toBe(1);
  expect(await outputsOf(imageId)).toHaveLength(5);
  expect(outcomes(dataDir).filter((message) => message.image_id === imageId).map((message) => message.status)).toEqual(['COMPLETED']);
});

test('an older upload\'s event arriving after a newer one\'s leaves one correct record, for the newest upload', async () => {
  const older = await upload('order/photo.jpg', 100);
  const newer = await upload('order/photo.jpg', 200);
  expect((await handler(newer.event, context)).results[0].outcome).toBe('COMPLETED');
  expect((await handler(older.event, context)).results[0].outcome).toBe('SUPERSEDED');
  expect(await store.get(older.imageId)).toBeUndefined();
  expect(await outputsOf(older.imageId)).toEqual([]);
  expect(await store.get(newer.imageId)).toMatchObject({ status: 'COMPLETED', source: { key: 'order/photo.jpg' } });
});

test('an attempt that died holding the record (crash, timeout) is taken over once its lease runs out, never before', async () => {
  const { event, imageId } = await upload('crash/photo.jpg', 9);
  // A previous attempt claimed the record and vanished without a word.
  const dead = await store.claim(imageId, { bucket: names.uploadBucket, key: 'crash/photo.jpg' }, 1500);
  expect(dead.claimed).toBe(true);
  // Inside the dead attempt's lease the event is not consumed: it fails, and Lambda retries it.
  await expect(handler(event, context)).rejects.toMatchObject({ name: 'UploadInProgress', imageId });
  expect(await store.get(imageId)).toMatchObject({ status: 'PROCESSING', attempts: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1600));
  expect((await handler(event, context)).results[0].outcome).toBe('COMPLETED');
  expect(await store.get(imageId)).toMatchObject({ status: 'COMPLETED', attempts: 2 });
});

test('a live attempt renews its claim, so a slow upload is never taken over; once it stops, the claim runs out', async () => {
  const imageId = 'f'.repeat(24);
  // Timings scaled down from 30 s / 10 s, with the same three renewals per lease.
  const holder = await store.claim(imageId, { bucket: names.uploadBucket, key: 'slow/photo.jpg' }, 1500);
  if (!holder.claimed) throw new Error('expected the first claim to succeed');
  const problems: string[] = [];
  const stop = store.keepClaimed(imageId, holder.attemptId, 1500, 500, (problem) => problems.push(problem));
  // Twice the lease: without the renewals the claim would have run out.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect((await store.claim(imageId, { bucket: names.uploadBucket, key: 'slow/photo.jpg' }, 1500)).claimed).toBe(false);
  stop();
  await new Promise((resolve) => setTimeout(resolve, 1700));
  expect((await store.claim(imageId, { bucket: names.uploadBucket, key: 'slow/photo.jpg' }, 1500)).claimed).toBe(true);
  expect(problems).toEqual([]);
});

test('SNS refusing every publish for a while: the upload is COMPLETED, the invocation fails, and the retry announces it once', async () => {
  const { event, imageId } = await upload('sns-window/photo.jpg', 11);
  snsProxy.setFaults([{ kind: 'throttle', rate: 1 }]);
  await expect(handler(event, context)).rejects.toMatchObject({ name: expect.stringMatching(/Throttl/) });
  const ended = (await store.get(imageId)) as ImageRecord;
  expect(ended.status).toBe('COMPLETED');
  expect(ended.announced_at).toBeUndefined();
  expect(outcomes(dataDir).filter((message) => message.image_id === imageId)).toEqual([]);
  expect(snsProxy.stats().faults.throttle).toBeGreaterThanOrEqual(2);

  snsProxy.setFaults([]);
  expect((await handler(event, context)).results[0].outcome).toBe('DUPLICATE');
  expect(outcomes(dataDir).filter((message) => message.image_id === imageId).map((message) => message.status)).toEqual(['COMPLETED']);
  expect(((await store.get(imageId)) as ImageRecord).announced_at).toBeDefined();
  // A third delivery finds it announced: nothing more is published.
  expect((await handler(event, context)).results[0].outcome).toBe('DUPLICATE');
  expect(outcomes(dataDir).filter((message) => message.image_id === imageId)).toHaveLength(1);
});

test('the scheduled sweep counts uploads stuck in PROCESSING and announces ended uploads nobody announced', async () => {
  const longAgo = new Date(Date.now() - 60 * 60 * 1000);
  const then = new MetadataStore(new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint)), names.table, () => longAgo);
  // Claimed an hour ago by an attempt that died, and never retried: stuck.
  const stuckId = 'a'.repeat(24);
  expect((await then.claim(stuckId, { bucket: names.uploadBucket, key: 'stuck/photo.jpg' }, 30_000)).claimed).toBe(true);
  // Failed an hour ago, but the invocation died before it announced, and so did its retries.
  const silentId = 'b'.repeat(24);
  const silent = await then.claim(silentId, { bucket: names.uploadBucket, key: 'silent/photo.jpg' }, 30_000);
  if (!silent.claimed) throw new Error('expected the claim to succeed');
  expect(await then.fail(silentId, silent.attemptId, { code: 'CORRUPT_INPUT', message: 'the image data cannot be decoded' }, 12)).toBeDefined();

  const lines: string[] = [];
  (process.stdout.write as unknown as jest.Mock).mockImplementation((chunk: string) => lines.push(String(chunk)) > 0);
  const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events' } as never;
  const report = (await handler(scheduled, context)) as unknown as SweepReport;
  expect(report.stuck_image_ids).toContain(stuckId);
  expect(report.announced).toBeGreaterThanOrEqual(1);
  const metric = lines.map((line) => JSON.parse(line)).find((line) => line[METRIC.uploadsStuck] !== undefined);
  expect(metric).toMatchObject({ Environment: 'test', [METRIC.uploadsStuck]: report.stuck });
  expect(metric._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Environment']]);
  expect(outcomes(dataDir).filter((message) => message.image_id === silentId)).toEqual([
    expect.objectContaining({ status: 'FAILED', error: { code: 'CORRUPT_INPUT', message: 'the image data cannot be decoded' } }),
  ]);
  // Announced once: the next sweep finds nothing more to announce for it.
  await handler(scheduled, context);
  expect(outcomes(dataDir).filter((message) => message.image_id === silentId)).toHaveLength(1);
  (process.stdout.write as unknown as jest.Mock).mockImplementation(() => true);
});
