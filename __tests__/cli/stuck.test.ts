/**
 * `imgopt report --stuck` and `imgopt replay <image_id>` against a real local runtime: an upload whose attempt died
 * an hour ago and was never retried is listed as stuck, re-driven from its source object, and ends COMPLETED; a
 * replay of an ended upload is refused with the reason. The stuck item is made by claiming it with an hour-old
 * clock (the one thing a real runtime cannot be asked to do on cue: die and never retry); everything else is real.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MetadataStore } from '../../functions/processor/records';
import { deriveImageId } from '../../lib/keys';
import type { ImageRecord } from '../../lib/metadata';
import { Runtime, startRuntime } from '../../local/runtime';
import { localClientConfig } from '../../local/servers';
import { stackFile } from '../../local/stack';
import { photoJpeg } from '../../fixtures/images';
import { runImgopt } from '../support/run-imgopt';
import { synthesizeDevStack } from '../support/synth-dev-stack';

let work: string;
let runtime: Runtime;
let store: MetadataStore;
let imageId: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-stuck-'));
  const outdir = path.join(work, 'synth');
  synthesizeDevStack(outdir);
  runtime = await startRuntime({ dataDir: path.join(work, 'data'), stackFile: stackFile(outdir, 'dev'), port: 0, retryDelayMs: 50 });
  const { info } = runtime;
  store = new MetadataStore(new DynamoDBClient(localClientConfig(info.dynamodbEndpoint)), info.table);

  // A source object whose key no notification filter lists, so nothing processes it until it is replayed.
  const s3 = new S3Client(localClientConfig(info.s3Endpoint));
  const key = 'stuck/photo.jpg.upload';
  const { ETag } = await s3.send(new PutObjectCommand({ Bucket: info.uploadBucket, Key: key, Body: await photoJpeg(640, 480, { seed: 5 }) }));
  s3.destroy();
  imageId = deriveImageId({ bucket: info.uploadBucket, key, etag: ETag });
  const anHourAgo = new MetadataStore(new DynamoDBClient(localClientConfig(info.dynamodbEndpoint)), info.table, () => new Date(Date.now() - 3_600_000));
  const dead = await anHourAgo.claim(imageId, { bucket: info.uploadBucket, key, etag: ETag!.replace(/"/g, '') }, 30_000);
  expect(dead.claimed).toBe(true);
}, 90_000);

afterAll(async () => {
  await runtime?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const imgopt = (args: string[]) => runImgopt([...args, '--data-dir', runtime.info.dataDir], { cwd: work });

test('report --stuck lists the upload PROCESSING for longer than the function can run, with what re-drives it', async () => {
  const run = await imgopt(['report', '--stuck']);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^Uploads PROCESSING for more than 360 s \(the function's timeout plus a margin\)/);
  expect(run.stdout).toContain(`${imageId}  stuck/photo.jpg.upload  started`);
  expect(run.stdout).toContain('Re-drive one from its source object with: imgopt replay <image_id>');
  const json = JSON.parse((await imgopt(['report', '--stuck', '--json'])).stdout);
  expect(json).toMatchObject({ stuck_after_seconds: 360, stuck: [expect.objectContaining({ image_id: imageId, attempts: 1 })] });
  expect((await imgopt(['report', '--stuck', '--failed'])).code).toBe(2);
});

test('replay <image_id> re-drives it from its source object: it ends COMPLETED, announced, and is no longer stuck', async () => {
  const run = await imgopt(['replay', imageId]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`Replayed image ${imageId} to imgopt-processor-dev: the function runs it again now from s3://imgopt-uploads-dev/stuck/photo.jpg.upload`);
  await runtime.idle();
  const item = (await store.get(imageId)) as ImageRecord;
  expect(item).toMatchObject({ status: 'COMPLETED', attempts: 2 });
  expect(item.announced_at).toBeDefined();
  expect((await imgopt(['report', '--stuck'])).stdout).toContain('none: nothing is stuck');

  const again = await imgopt(['replay', imageId]);
  expect(again.code).toBe(1);
  expect(again.stdout).toMatch(new RegExp(`^Image ${imageId} was not replayed: it ended COMPLETED, and its outcome was announced at `));
  expect((await imgopt(['replay', imageId, '--limit', '3'])).code).toBe(2);
}, 60_000);
