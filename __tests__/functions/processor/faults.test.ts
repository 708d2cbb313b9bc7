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
import { METRICS_NAMESPACE } from '../../../lib/metrics';
import { resourceNames } from '../../../lib/naming';
import { overridePreset, DEFAULT_PRESET } from '../../../lib/variants';
import { FaultProxy, startFaultProxy } from '../../../local/fault-proxy';
import {
  LocalServers, createPipelineResources, localAwsEnvironment, localClientConfig, startLocalServers,
} from '../../../local/servers';
import type { ProcessorReport } from '../../../functions/processor';
import { MetadataStore } from '../../../functions/processor/records';
import { photoJpeg } from '../../../fixtures/images';
import { seededRandom } from '../../../fixtures/random';
import { objectCreatedEvent } from '../../../fixtures/s3-events';
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
let s3: S3Client;
let store: MetadataStore;
let handler: (event: S3Event, context: Context) => Promise<ProcessorReport>;

beforeAll(async () => {
  servers = await startLocalServers({ dataDir });
  await createPipelineResources(servers, names);
  s3Proxy = await startFaultProxy({ target: servers.s3Endpoint, service: 's3', random: seededRandom(1) });
  dynamoProxy = await startFaultProxy({ target: servers.dynamodbEndpoint, service: 'dynamodb', random: seededRandom(2) });
  Object.assign(process.env,
    localAwsEnvironment({ s3Endpoint: s3Proxy.endpoint, dynamodbEndpoint: dynamoProxy.endpoint }),
    functionEnvironment({ table: names.table, outputBuckets: names.outputBuckets, preset: PRESET, environment: 'test', metricsNamespace: METRICS_NAMESPACE }),
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
});

afterAll(async () => {
  jest.restoreAllMocks();
  s3?.destroy();
  await Promise.all([s3Proxy?.close(), dynamoProxy?.close()]);
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

test('the same event delivered 5 times at once ends with one record, processed once, and one set of objects', async () => {
  const { event, imageId } = await upload('duplicates/photo.jpg', 7);
  const reports = await Promise.all(Array.from({ length: 5 }, () => handler(event, context)));
  const outcomes = reports.map((report) => report.results[0].outcome).sort();
  expect(outcomes.filter((outcome) => outcome === 'COMPLETED')).toHaveLength(1);
  expect(outcomes.every((outcome) => ['COMPLETED', 'DUPLICATE', 'IN_PROGRESS'].includes(outcome))).toBe(true);
  const item = (await store.get(imageId)) as ImageRecord;
  expect(item).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  expect(await itemsFor(imageId)).toBe(1);
  expect(await outputsOf(imageId)).toHaveLength(5);
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

test('an attempt that died holding the record (crash, timeout) is taken over once its lease runs out', async () => {
  const { event, imageId } = await upload('crash/photo.jpg', 9);
  // A previous attempt claimed the record and vanished without a word.
  const dead = await store.claim(imageId, { bucket: names.uploadBucket, key: 'crash/photo.jpg' }, 300);
  expect(dead.claimed).toBe(true);
  expect((await handler(event, context)).results[0].outcome).toBe('IN_PROGRESS');
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect((await handler(event, context)).results[0].outcome).toBe('COMPLETED');
  expect(await store.get(imageId)).toMatchObject({ status: 'COMPLETED', attempts: 2 });
});
