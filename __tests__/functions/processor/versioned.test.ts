/**
 * Overwrites, late and duplicate events, and deletions, handled by the real handler against two real S3 servers:
 * moto_server with a versioned upload bucket (every stack's bucket is versioned, so this is the path production
 * takes: HEAD and GET by version id, SUPERSEDED decided by version id) and s3rver, which has no versioning (the
 * ETag path). DynamoDB is moto's in the first case and dynalite in the second, with the table's real schema.
 * moto_server is not installable from npm: where it is missing its half skips and says why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Context, S3Event } from 'aws-lambda';
import {
  DeleteObjectCommand, GetBucketVersioningCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand,
  PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { OUTPUT_FORMATS } from '../../../lib/formats';
import { functionEnvironment } from '../../../lib/function-environment';
import { deriveImageId } from '../../../lib/keys';
import type { ImageRecord } from '../../../lib/metadata';
import { resourceNames } from '../../../lib/naming';
import { DEFAULT_PRESET } from '../../../lib/variants';
import { createPipelineResources, localAwsEnvironment, localClientConfig, startLocalServers } from '../../../local/servers';
import { findMotoServer, startMotoServer } from '../../../rehearsal/moto-server';
import type { ProcessorReport } from '../../../functions/processor';
import type { Upload } from '../../../functions/processor/event';
import type * as Storage from '../../../functions/processor/storage';
import type * as Records from '../../../functions/processor/records';
import { photoJpeg } from '../../../fixtures/images';
import { objectCreatedEvent } from '../../../lib/s3-events';
import type { LocalTopic } from '../../../local/notifications';
import { startTestTopic, testFunctionConfig } from '../../support/function-config';
import { captureFunctionOutput } from '../../support/function-output';

interface Backend {
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  close(): Promise<void>;
}

interface Case {
  readonly name: string;
  readonly versioned: boolean;
  /** The reason this backend cannot run here, or undefined. */
  readonly unavailable?: string;
  start(): Promise<Backend>;
}

const moto = findMotoServer();
const CASES: Case[] = [
  {
    name: 'moto_server, versioned bucket (version ids)',
    versioned: true,
    unavailable: 'unavailable' in moto ? moto.unavailable : undefined,
    async start() {
      const server = await startMotoServer((moto as { binary: string }).binary);
      return { s3Endpoint: server.endpoint, dynamodbEndpoint: server.endpoint, close: server.stop };
    },
  },
  {
    name: 's3rver, unversioned (ETags)',
    versioned: false,
    async start() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'versioned-'));
      const servers = await startLocalServers({ dataDir });
      return {
        ...servers,
        close: async () => {
          await servers.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];

for (const reason of CASES.filter((c) => c.unavailable)) {
  process.stderr.write(`Skipping the ${reason.name} half of the versioned-upload tests: ${reason.unavailable}\n`);
}

const context = { awsRequestId: 'req-versioned', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
// One small variant in two formats: the tests are about which upload is processed, not about pixels.
const PRESET = { ...DEFAULT_PRESET, variants: [{ name: 'thumb', width: 96, height: 96, fit: 'cover' as const, formats: ['webp', 'jpeg'] as const }] };

describe.each(CASES)('$name', ({ versioned, unavailable, start }) => {
  const names = resourceNames('imgver', versioned ? 'moto' : 's3rver');
  let backend: Backend;
  let topic: LocalTopic;
  const topicDir = fs.mkdtempSync(path.join(os.tmpdir(), 'versioned-topic-'));
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let handler: (event: S3Event, context: Context) => Promise<ProcessorReport>;
  let storage: typeof Storage;
  let store: Records.MetadataStore;
  const run = unavailable ? test.skip : test;
  const runVersioned = unavailable || !versioned ? test.skip : test;

  beforeAll(async () => {
    if (unavailable) return;
    backend = await start();
    await createPipelineResources(backend, names);
    s3 = new S3Client(localClientConfig(backend.s3Endpoint));
    dynamodb = new DynamoDBClient(localClientConfig(backend.dynamodbEndpoint));
    if (versioned) {
      await s3.send(new PutBucketVersioningCommand({ Bucket: names.uploadBucket, VersioningConfiguration: { Status: 'Enabled' } }));
    }
    topic = await startTestTopic(topicDir, names);
    Object.assign(process.env, localAwsEnvironment({ ...backend, snsEndpoint: topic.endpoint }), { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' },
      functionEnvironment(testFunctionConfig(names, PRESET, 'versioned')));
    // The handler's SDK clients are made when its module loads, from the environment, as in Lambda: a fresh module
    // registry per backend gives each half clients pointed at its own servers.
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      handler = require('../../../functions/processor').handler;
      storage = require('../../../functions/processor/storage');
      const { MetadataStore } = require('../../../functions/processor/records') as typeof Records;
      /* eslint-enable @typescript-eslint/no-require-imports */
      store = new MetadataStore(dynamodb, names.table);
    });
    // The handler's log and metric lines are not under test here.
    captureFunctionOutput();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    s3?.destroy();
    dynamodb?.destroy();
    await topic?.close();
    await backend?.close();
    fs.rmSync(topicDir, { recursive: true, force: true });
  });

  interface Put {
    readonly upload: Upload;
    readonly event: S3Event;
    readonly width: number;
  }

  /** Puts a photo `width` px wide at `key` and builds the event S3 sends for it from PutObject's answer. */
  async function put(key: string, width: number): Promise<Put> {
    const body = await photoJpeg(width, 200, { seed: width });
    const answer = await s3.send(new PutObjectCommand({ Bucket: names.uploadBucket, Key: key, Body: body, ContentType: 'image/jpeg' }));
    if (versioned) expect(answer.VersionId).toEqual(expect.any(String));
    const etag = (answer.ETag ?? '').replace(/"/g, '');
    const source = { bucket: names.uploadBucket, key, etag, versionId: answer.VersionId };
    const upload: Upload = { ...source, imageId: deriveImageId(source), bytes: body.length };
    const event = objectCreatedEvent({ bucket: names.uploadBucket, key, eTag: etag, versionId: answer.VersionId, size: body.length });
    return { upload, event, width };
  }

  async function deliver(...events: S3Event[]) {
    const outcomes: string[] = [];
    for (const event of events) outcomes.push(...(await handler(event, context)).results.map((result) => result.outcome));
    return outcomes;
  }

  async function itemsFor(key: string): Promise<ImageRecord[]> {
    const { Items } = await dynamodb.send(new ScanCommand({ TableName: names.table, ConsistentRead: true }));
    const ids = (Items ?? []).map((item) => item.image_id.S as string);
    const records = await Promise.all(ids.map((id) => store.get(id)));
    return records.filter((record): record is ImageRecord => record?.source.key === key);
  }

  async function outputsOf(imageId: string): Promise<string[]> {
    const keys: string[] = [];
    for (const format of OUTPUT_FORMATS) {
      const listing = await s3.send(new ListObjectsV2Command({ Bucket: names.outputBuckets[format], Prefix: `${format}/${imageId}/` }));
      keys.push(...(listing.Contents ?? []).map((object) => object.Key as string));
    }
    return keys.sort();
  }

  run('the bucket is versioned exactly where the case says', async () => {
    const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: names.uploadBucket }));
    expect(Status === 'Enabled').toBe(versioned);
  });

  run('an upload names its revision: the event carries the version id where the bucket is versioned', async () => {
    const first = await put('revision.jpg', 300);
    expect(first.event.Records[0].s3.object.versionId).toBe(versioned ? first.upload.versionId : undefined);
    expect(await deliver(first.event)).toEqual(['COMPLETED']);
    const [item] = await itemsFor('revision.jpg');
    expect(item.source).toMatchObject(versioned
      ? { version_id: first.upload.versionId, etag: first.upload.etag }
      : { etag: first.upload.etag });
    if (!versioned) expect(item.source.version_id).toBeUndefined();
  });

  run('HEAD and GET name the revision: an overwritten one is superseded by HEAD, and GET reads it by version id only', async () => {
    const old = await put('read-by-version.jpg', 320);
    await put('read-by-version.jpg', 340);
    await expect(storage.headUpload(s3, old.upload)).rejects.toBeInstanceOf(storage.SupersededUpload);
    if (versioned) {
      // The old version is still there and GET by VersionId returns exactly its bytes.
      const source = await storage.readUpload(s3, old.upload);
      expect(source.versionId).toBe(old.upload.versionId);
      expect((await sharp(source.bytes).metadata()).width).toBe(320);
    } else {
      // Without versions the old bytes are gone: the read of the old ETag is refused (If-Match, and the answer's ETag).
      await expect(storage.readUpload(s3, old.upload)).rejects.toBeInstanceOf(storage.SupersededUpload);
    }
  });

  run('overwrite after processing: each revision gets its own record and new URLs; the late first event changes nothing', async () => {
    const first = await put('photo.jpg', 400);
    expect(await deliver(first.event)).toEqual(['COMPLETED']);
    const firstOutputs = await outputsOf(first.upload.imageId);
    const second = await put('photo.jpg', 500);
    expect(second.upload.imageId).not.toBe(first.upload.imageId);
    expect(await deliver(second.event, first.event)).toEqual(['COMPLETED', 'SUPERSEDED']);

    const items = await itemsFor('photo.jpg');
    expect(items.map((item) => [item.image_id, item.status, item.original?.width, item.attempts]).sort()).toEqual([
      [first.upload.imageId, 'COMPLETED', 400, 1],
      [second.upload.imageId, 'COMPLETED', 500, 1],
    ].sort());
    const secondOutputs = await outputsOf(second.upload.imageId);
    expect(secondOutputs).toHaveLength(2);
    expect(secondOutputs.filter((key) => firstOutputs.includes(key))).toEqual([]);
    // The first revision's URLs keep working: its objects are immutable and still there.
    expect(await outputsOf(first.upload.imageId)).toEqual(firstOutputs);
  });

  run.each([
    ['in upload order', false],
    ['newest first', true],
  ])('two uploads before either event, delivered %s: the newest revision is processed, the older one recorded nowhere', async (_, reversed) => {
    const key = `both-${reversed ? 'reversed' : 'ordered'}.jpg`;
    const older = await put(key, 600);
    const newer = await put(key, 640);
    const events = reversed ? [newer.event, older.event] : [older.event, newer.event];
    const outcomes = await deliver(...events);
    expect(reversed ? outcomes : [...outcomes].reverse()).toEqual(['COMPLETED', 'SUPERSEDED']);
    const items = await itemsFor(key);
    expect(items.map((item) => [item.image_id, item.status, item.original?.width])).toEqual([[newer.upload.imageId, 'COMPLETED', 640]]);
    expect(items[0].source).toMatchObject(versioned ? { version_id: newer.upload.versionId } : { etag: newer.upload.etag });
    expect(await outputsOf(older.upload.imageId)).toEqual([]);
  });

  run('a duplicate delivery, alone or in the same event, finds the record and does nothing', async () => {
    const upload = await put('twice.jpg', 360);
    expect(await deliver(upload.event)).toEqual(['COMPLETED']);
    const [before] = await itemsFor('twice.jpg');
    const doubled = { Records: [...upload.event.Records, ...upload.event.Records] } as S3Event;
    expect(await deliver(upload.event, doubled)).toEqual(['DUPLICATE', 'DUPLICATE', 'DUPLICATE']);
    const after = await itemsFor('twice.jpg');
    expect(after).toEqual([before]);
  });

  run('a deleted revision is superseded: nothing is recorded for it', async () => {
    const kept = await put('deleted.jpg', 380);
    const removed = await put('deleted.jpg', 420);
    // Versioned: the newest version itself is deleted, so the older one is current again. Unversioned: the key goes.
    await s3.send(new DeleteObjectCommand({ Bucket: names.uploadBucket, Key: 'deleted.jpg', ...(versioned ? { VersionId: removed.upload.versionId } : {}) }));
    if (versioned) {
      const current = await s3.send(new HeadObjectCommand({ Bucket: names.uploadBucket, Key: 'deleted.jpg' }));
      expect(current.VersionId).toBe(kept.upload.versionId);
    }
    expect(await deliver(removed.event)).toEqual(['SUPERSEDED']);
    expect(await itemsFor('deleted.jpg')).toEqual([]);
    if (versioned) {
      // The version that is current again still processes under its own id.
      expect(await deliver(kept.event)).toEqual(['COMPLETED']);
      expect((await itemsFor('deleted.jpg')).map((item) => item.image_id)).toEqual([kept.upload.imageId]);
    }
  });

  runVersioned('a key behind a delete marker is superseded', async () => {
    const upload = await put('marked.jpg', 330);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: names.uploadBucket, Key: 'marked.jpg' }));
    expect(marker.DeleteMarker).toBe(true);
    expect(await deliver(upload.event)).toEqual(['SUPERSEDED']);
    expect(await itemsFor('marked.jpg')).toEqual([]);
  });
});
