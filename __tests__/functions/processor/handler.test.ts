/**
 * The processor's handler against real servers over HTTP (s3rver, dynalite), with real sharp on images made here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Context, S3Event } from 'aws-lambda';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { FAILURE_REASONS } from '../../../lib/failures';
import { OUTPUT_FORMATS } from '../../../lib/formats';
import { functionEnvironment } from '../../../lib/function-environment';
import { deriveImageId, outputKey } from '../../../lib/keys';
import { ImageRecord } from '../../../lib/metadata';
import { METRIC, METRICS_NAMESPACE } from '../../../lib/metrics';
import { resourceNames } from '../../../lib/naming';
import { DEFAULT_PRESET, VariantPreset, overridePreset } from '../../../lib/variants';
import {
  LocalServers, createPipelineResources, localAwsEnvironment, localClientConfig, startLocalServers,
} from '../../../local/servers';
import { objectCreatedEvent } from '../../../lib/s3-events';
import type { LocalTopic } from '../../../local/notifications';
import { TEST_CDN_URL, outcomes, startTestTopic, testFunctionConfig } from '../../support/function-config';
import { FunctionOutput, captureFunctionOutput } from '../../support/function-output';
import type { ProcessorReport } from '../../../functions/processor';
import {
  HEIC, PDF, QUADRANTS, SVG, animatedGif, cmykJpeg, jpegWithMetadata, orientedJpeg, photoJpeg, png16, pngClaiming, transparentPng,
} from '../../../fixtures/images';

const names = resourceNames('imgtest', 'handler');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-'));
let servers: LocalServers;
let topic: LocalTopic;
let s3: S3Client;
let handler: (event: S3Event, context: Context) => Promise<ProcessorReport>;
let output: FunctionOutput;

function setPreset(preset: VariantPreset) {
  Object.assign(process.env, functionEnvironment(testFunctionConfig(names, preset, 'handler')));
}

beforeAll(async () => {
  servers = await startLocalServers({ dataDir });
  topic = await startTestTopic(dataDir, names);
  await createPipelineResources(servers, names);
  Object.assign(process.env, localAwsEnvironment({ ...servers, snsEndpoint: topic.endpoint }), { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' });
  setPreset(DEFAULT_PRESET);
  s3 = new S3Client(localClientConfig(servers.s3Endpoint));
  // Loaded after the environment points the SDK at the local servers, as Lambda loads it with its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = require('../../../functions/processor').handler;
  output = captureFunctionOutput();
});

afterAll(async () => {
  jest.restoreAllMocks();
  s3?.destroy();
  await topic?.close();
  await servers?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const context = { awsRequestId: 'req-test', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

async function put(key: string, body: Buffer): Promise<{ etag: string; imageId: string; event: S3Event }> {
  const { ETag } = await s3.send(new PutObjectCommand({ Bucket: names.uploadBucket, Key: key, Body: body }));
  const etag = (ETag ?? '').replace(/"/g, '');
  const event = objectCreatedEvent({ bucket: names.uploadBucket, key, eTag: etag, size: body.length });
  return { etag, event, imageId: deriveImageId({ bucket: names.uploadBucket, key, etag }) };
}

async function record(imageId: string): Promise<ImageRecord> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MetadataStore } = require('../../../functions/processor/records');
  const store = new MetadataStore(new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint)), names.table);
  return store.get(imageId);
}

async function fetchObject(format: string, key: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: names.outputBuckets[format as 'webp'], Key: key }));
  return { body: Buffer.from(await object.Body!.transformToByteArray()), contentType: object.ContentType, cacheControl: object.CacheControl };
}

async function objectsOf(imageId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const format of OUTPUT_FORMATS) {
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: names.outputBuckets[format], Prefix: `${format}/${imageId}/` }));
    keys.push(...(listing.Contents ?? []).map((object) => object.Key!));
  }
  return keys.sort();
}

async function runUpload(key: string, body: Buffer) {
  const upload = await put(key, body);
  const report = await handler(upload.event, context);
  return { ...upload, report, item: await record(upload.imageId) };
}

describe('a photo', () => {
  let result: Awaited<ReturnType<typeof runUpload>>;
  beforeAll(async () => {
    result = await runUpload('holiday/beach photo+1.JPG', await photoJpeg(2400, 1600));
  });

  test('ends COMPLETED with every variant of the preset in WebP and JPEG, AVIF where the preset says, no PNG', () => {
    expect(result.report.results).toEqual([expect.objectContaining({ image_id: result.imageId, key: 'holiday/beach photo+1.JPG', outcome: 'COMPLETED' })]);
    const made = result.item.variants!.map((v) => `${v.format}/${v.name}`).sort();
    const expected = DEFAULT_PRESET.variants.flatMap((v) => v.formats.map((f) => `${f}/${v.name}`)).sort();
    expect(made).toEqual(expected);
  });

  test('records each lossy rendition\'s encoder quality within its bounds and its SSIMULACRA 2 score at the target (target mode, the default)', () => {
    const { target, bounds } = DEFAULT_PRESET.quality;
    expect(DEFAULT_PRESET.quality.mode).toBe('target');
    for (const variant of result.item.variants!.filter((v) => v.format !== 'png')) {
      const { min, max } = bounds[variant.format as 'avif'];
      expect(variant.quality).toBeGreaterThanOrEqual(min);
      expect(variant.quality).toBeLessThanOrEqual(max);
      // A measured score is the real score of the bytes served; a predicted size may be 1 point under.
      expect(variant.score!).toBeGreaterThanOrEqual(variant.score_source === 'measured' ? target : target - 1);
    }
    const source = (name: string) => result.item.variants!.find((v) => v.name === name && v.format === 'jpeg')!.score_source;
    expect([source('thumb'), source('640'), source('full')]).toEqual(['measured', 'measured', 'predicted']);
  });

  test('sizes each variant as the preset says, never upscaled, aspect kept', () => {
    const size = (name: string) => result.item.variants!.find((v) => v.name === name && v.format === 'webp')!;
    expect(size('thumb')).toMatchObject({ width: 256, height: 256 });
    expect(size('320')).toMatchObject({ width: 320, height: 213 });
    expect(size('1280')).toMatchObject({ width: 1280, height: 853 });
    expect(size('1920')).toMatchObject({ width: 1920, height: 1280 });
    // "full" caps the long edge at 2560; the source is 2400 wide, so it stays 2400 (no upscaling).
    expect(size('full')).toMatchObject({ width: 2400, height: 1600 });
  });

  test('writes each object at its layout key with its Content-Type and an immutable Cache-Control', async () => {
    expect(await objectsOf(result.imageId)).toEqual(result.item.variants!.map((v) => v.key).sort());
    for (const variant of result.item.variants!) {
      expect(variant.key).toBe(outputKey(variant.format as 'webp', result.imageId, variant.name));
      const object = await fetchObject(variant.format, variant.key);
      expect(object.body.length).toBe(variant.bytes);
      expect(object.cacheControl).toBe('public, max-age=31536000, immutable');
      const meta = await sharp(object.body).metadata();
      expect({ format: meta.format === 'heif' ? 'avif' : meta.format, width: meta.width, height: meta.height })
        .toEqual({ format: variant.format, width: variant.width, height: variant.height });
      expect(object.contentType).toBe({ avif: 'image/avif', webp: 'image/webp', jpeg: 'image/jpeg', png: 'image/png' }[variant.format]);
    }
  });

  test('records the source, the original, the savings, a placeholder and the timings', () => {
    const { item } = result;
    expect(item).toMatchObject({
      image_id: result.imageId,
      status: 'COMPLETED',
      attempts: 1,
      source: { bucket: names.uploadBucket, key: 'holiday/beach photo+1.JPG', etag: result.etag },
      original: { format: 'jpeg', width: 2400, height: 1600, alpha: false, orientation: 1, frames: 1 },
    });
    expect(item.source.bytes).toBe(item.bytes_in);
    expect(item.bytes_out).toBe(item.variants!.reduce((sum, v) => sum + v.bytes, 0));
    const largestWebp = item.variants!.filter((v) => v.format === 'webp').sort((a, b) => b.width - a.width)[0];
    expect(item.bytes_saved).toBe(item.bytes_in! - largestWebp.bytes);
    expect(item.placeholder).toMatch(/^data:image\/webp;base64,[A-Za-z0-9+/=]{20,400}$/);
    expect(item.processing_ms).toBeGreaterThan(0);
    expect(item.error).toBeUndefined();
    expect(item.attempt_id).toBeUndefined();
    expect(Date.parse(item.completed_at!)).toBeGreaterThanOrEqual(Date.parse(item.created_at));
  });

  test('emits one Embedded Metric Format line with the shared names and dimensions', () => {
    const lines = output.metrics().filter((line) => line.image_id === result.imageId);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['Environment']] });
    expect(line).toMatchObject({
      Environment: 'handler',
      [METRIC.imagesProcessed]: 1,
      [METRIC.variantsGenerated]: result.item.variants!.length,
      [METRIC.bytesIn]: result.item.bytes_in,
      [METRIC.bytesOut]: result.item.bytes_out,
    });
  });

  test('logs JSON at INFO with the image id, bucket, key and the invocation\'s request id', () => {
    const line = output.logs().find((l) => l.image_id === result.imageId && l.message === 'processed');
    expect(line).toMatchObject({
      level: 'INFO',
      bucket: names.uploadBucket,
      key: 'holiday/beach photo+1.JPG',
      environment: 'handler',
      function_request_id: 'req-test',
      variants: result.item.variants!.length,
    });
  });

  test('announces one COMPLETED message on the outcome topic, with every variant\'s URLs and bytes, and records it', () => {
    const announced = outcomes(dataDir).filter((message) => message.image_id === result.imageId);
    expect(announced).toHaveLength(1);
    const [message] = announced;
    expect(message).toMatchObject({
      version: 1,
      status: 'COMPLETED',
      environment: 'handler',
      source: { bucket: names.uploadBucket, key: 'holiday/beach photo+1.JPG' },
      bytes_in: result.item.bytes_in,
      bytes_saved: result.item.bytes_saved,
      attributes: { status: 'COMPLETED', environment: 'handler' },
    });
    expect(message.attributes.reason).toBeUndefined();
    expect(message.variants!.map((variant) => variant.name)).toEqual(DEFAULT_PRESET.variants.map((variant) => variant.name));
    const w640 = message.variants!.find((variant) => variant.name === '640')!;
    expect(w640.url).toBe(`${TEST_CDN_URL}/images/${result.imageId}/640`);
    const webp = w640.formats.find((rendition) => rendition.format === 'webp')!;
    const recorded = result.item.variants!.find((variant) => variant.name === '640' && variant.format === 'webp')!;
    expect(webp).toMatchObject({ url: `${TEST_CDN_URL}/${recorded.key}`, bytes: recorded.bytes });
    expect(result.item.announced_at).toBeDefined();
  });

  test('a duplicate delivery of the same event does nothing: one item, the same objects, no second announcement', async () => {
    const before = await objectsOf(result.imageId);
    const again = await handler(result.event, context);
    expect(again.results[0].outcome).toBe('DUPLICATE');
    const item = await record(result.imageId);
    expect(item.completed_at).toBe(result.item.completed_at);
    expect(item.attempts).toBe(1);
    expect(await objectsOf(result.imageId)).toEqual(before);
    const items = await new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint)).send(new ScanCommand({ TableName: names.table }));
    expect(items.Items!.filter((i) => i.image_id.S === result.imageId)).toHaveLength(1);
    expect(outcomes(dataDir).filter((message) => message.image_id === result.imageId)).toHaveLength(1);
  });

  test('an overwrite of the same key yields a new image id, and the old event is then superseded', async () => {
    const second = await runUpload('holiday/beach photo+1.JPG', await photoJpeg(600, 400, { seed: 99 }));
    expect(second.imageId).not.toBe(result.imageId);
    expect(second.item.status).toBe('COMPLETED');
    expect(second.item.original).toMatchObject({ width: 600, height: 400 });
    // The first upload's event, delivered again after the overwrite, changes nothing.
    const late = await handler(result.event, context);
    expect(late.results[0].outcome).toBe('SUPERSEDED');
    expect((await record(result.imageId)).status).toBe('COMPLETED');
  });
});

describe('a photo in fixed quality mode', () => {
  let result: Awaited<ReturnType<typeof runUpload>>;
  beforeAll(async () => {
    setPreset(overridePreset(DEFAULT_PRESET, { quality: { mode: 'fixed' } }));
    result = await runUpload('fixed mode/photo.jpg', await photoJpeg(1200, 800));
  });
  afterAll(() => setPreset(DEFAULT_PRESET));

  test('records each lossy rendition\'s encoder quality as the preset\'s encoders say, and no score', () => {
    expect(result.item.status).toBe('COMPLETED');
    for (const variant of result.item.variants!.filter((v) => v.format !== 'png')) {
      expect(variant.quality).toBe(DEFAULT_PRESET.encoders[variant.format as 'avif'].quality);
      expect(variant.score).toBeUndefined();
    }
  });
});

describe('pixels and metadata', () => {
  test('a transparent PNG keeps its alpha in AVIF, WebP and PNG; JPEG is flattened onto white', async () => {
    const { item } = await runUpload('logo.png', await transparentPng(600, 400));
    expect(item.status).toBe('COMPLETED');
    expect(item.original).toMatchObject({ format: 'png', alpha: true });
    const formats = new Set(item.variants!.map((v) => v.format));
    expect([...formats].sort()).toEqual(['avif', 'jpeg', 'png', 'webp']);
    for (const variant of item.variants!.filter((v) => v.name === '320')) {
      const { body } = await fetchObject(variant.format, variant.key);
      const { data, info } = await sharp(body).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const corner = [...data.subarray(0, 4)];
      const centre = [...data.subarray(((Math.floor(info.height / 2) * info.width) + Math.floor(info.width / 2)) * 4, ((Math.floor(info.height / 2) * info.width) + Math.floor(info.width / 2)) * 4 + 4)];
      if (variant.format === 'jpeg') {
        expect(corner.slice(0, 3).every((c) => c > 245)).toBe(true); // transparent corner became white
        expect(centre[3]).toBe(255);
      } else {
        expect(corner[3]).toBeLessThan(10); // still transparent
        expect(centre[3]).toBeGreaterThan(100);
        expect(centre[3]).toBeLessThan(160); // half transparent stays half transparent
      }
    }
  });

  test('a CMYK JPEG comes out as 8-bit sRGB', async () => {
    const { item } = await runUpload('print/cmyk.jpg', await cmykJpeg(400, 300));
    expect(item.status).toBe('COMPLETED');
    const jpeg = item.variants!.find((v) => v.format === 'jpeg' && v.name === 'full')!;
    const meta = await sharp((await fetchObject('jpeg', jpeg.key)).body).metadata();
    expect(meta).toMatchObject({ space: 'srgb', channels: 3, depth: 'uchar' });
  });

  test('a 16-bit PNG comes out as 8-bit', async () => {
    const { item } = await runUpload('scan/deep.png', await png16(400, 300));
    expect(item.status).toBe('COMPLETED');
    const png = item.variants!.find((v) => v.format === 'png' && v.name === '320')!;
    const meta = await sharp((await fetchObject('png', png.key)).body).metadata();
    expect(meta).toMatchObject({ depth: 'uchar', width: 320, height: 240 });
  });

  test('no EXIF, GPS, XMP or ICC block reaches any output', async () => {
    const source = await jpegWithMetadata(400, 300);
    expect(source.includes('SECRET-COPYRIGHT')).toBe(true);
    const { item } = await runUpload('camera/with-gps.jpg', source);
    expect(item.status).toBe('COMPLETED');
    for (const variant of item.variants!) {
      const { body } = await fetchObject(variant.format, variant.key);
      const meta = await sharp(body).metadata();
      expect({ key: variant.key, exif: meta.exif, xmp: meta.xmp, icc: meta.icc }).toEqual({ key: variant.key, exif: undefined, xmp: undefined, icc: undefined });
      expect(body.includes('SECRET')).toBe(false);
    }
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])('EXIF orientation %i comes out upright', async (orientation) => {
    const { item } = await runUpload(`oriented/${orientation}.jpg`, await orientedJpeg(orientation, 240, 160));
    expect(item.status).toBe('COMPLETED');
    expect(item.original).toMatchObject({ width: 240, height: 160, orientation });
    const full = item.variants!.find((v) => v.format === 'webp' && v.name === 'full')!;
    expect(full).toMatchObject({ width: 240, height: 160 });
    const { data } = await sharp((await fetchObject('webp', full.key)).body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray((y * 240 + x) * 3, (y * 240 + x) * 3 + 3)];
    const near = (actual: number[], expected: readonly number[]) => actual.every((c, i) => Math.abs(c - expected[i]) < 40);
    expect(near(at(60, 40), QUADRANTS.topLeft)).toBe(true);
    expect(near(at(180, 40), QUADRANTS.topRight)).toBe(true);
    expect(near(at(60, 120), QUADRANTS.bottomLeft)).toBe(true);
    expect(near(at(180, 120), QUADRANTS.bottomRight)).toBe(true);
  });

  test('an animated GIF gets animated WebP renditions and still posters, and the item records the animation', async () => {
    const { item } = await runUpload('fun/anim.gif', await animatedGif(200, 150, 12, { delay: 90, loop: 4 }));
    expect(item.status).toBe('COMPLETED');
    expect(item.original).toMatchObject({ format: 'gif', width: 200, height: 150, frames: 12, animated: true, duration_ms: 1080, loop: 4 });
    const webp = item.variants!.find((v) => v.format === 'webp' && v.name === 'full')!;
    expect(webp).toMatchObject({ width: 200, height: 150, animated: true, frames: 12 });
    const meta = await sharp((await fetchObject('webp', webp.key)).body, { animated: true }).metadata();
    expect(meta).toMatchObject({ pages: 12, pageHeight: 150, width: 200, loop: 4, delay: Array.from({ length: 12 }, () => 90) });
    for (const still of item.variants!.filter((v) => v.format !== 'webp' || v.name === 'thumb')) {
      expect(still.animated).toBeUndefined();
      expect((await sharp((await fetchObject(still.format, still.key)).body, { animated: true }).metadata()).pages ?? 1).toBe(1);
    }
    expect(item.variants!.some((v) => v.format === 'png')).toBe(true);
  });

  test('a still JPEG\'s item records no animation', async () => {
    const { item } = await runUpload('still.jpg', await photoJpeg(300, 200));
    expect(item.original!.animated).toBeUndefined();
    expect(item.variants!.every((v) => v.animated === undefined && v.frames === undefined)).toBe(true);
  });

  test('a tiny source is never upscaled: every variant is at most its size, the thumbnail stays square', async () => {
    const { item } = await runUpload('tiny.jpg', await photoJpeg(120, 60));
    expect(item.status).toBe('COMPLETED');
    for (const variant of item.variants!) {
      expect(variant.width).toBeLessThanOrEqual(120);
      expect(variant.height).toBeLessThanOrEqual(60);
    }
    expect(item.variants!.find((v) => v.name === 'thumb')).toMatchObject({ width: 60, height: 60 });
  });
});

describe('bad input ends FAILED with its own reason, no outputs, and no retry', () => {
  const cases: Array<[string, string, () => Promise<Buffer> | Buffer]> = [
    ['EMPTY_INPUT', 'empty.jpg', () => Buffer.alloc(0)],
    ['TRUNCATED_INPUT', 'cut.jpg', async () => (await photoJpeg(400, 300)).subarray(0, 5000)],
    ['CORRUPT_INPUT', 'garbage.png', async () => {
      const png = await transparentPng(200, 200);
      const broken = Buffer.from(png);
      broken.fill(0x55, 40, png.length - 20); // header kept, compressed data destroyed, IEND kept
      return broken;
    }],
    ['SVG_NOT_SUPPORTED', 'vector.jpg', () => SVG],
    ['PDF_NOT_SUPPORTED', 'doc.png', () => PDF],
    ['HEIC_NOT_SUPPORTED', 'IMG_0001.jpg', () => HEIC],
    ['UNKNOWN_FORMAT', 'notes.gif', () => Buffer.from('just some text pretending to be an image')],
    ['TOO_MANY_PIXELS', 'bomb.png', () => pngClaiming(100_000, 100_000)],
    ['INPUT_TOO_LARGE', 'huge.jpg', () => Buffer.alloc(65 * 1024 * 1024, 0xff)],
    ['TOO_MANY_FRAMES', 'long.gif', () => animatedGif(8, 8, 1001)],
  ];
  /** More hostile files; their codes repeat the ones above, so they are not in the distinct-codes check. */
  const more: Array<[string, string, () => Promise<Buffer> | Buffer]> = [
    ['TRUNCATED_INPUT', 'cut.png', async () => (await transparentPng(300, 300)).subarray(0, 900)],
    ['TRUNCATED_INPUT', 'cut.webp', async () => (await sharp(await photoJpeg(300, 200)).webp().toBuffer()).subarray(0, 1500)],
    // A GIF header in front of script: a GIF/JavaScript polyglot.
    ['CORRUPT_INPUT', 'polyglot.gif', () => Buffer.from('GIF89a/*\x01\x00\x01\x00\x00\xff\x00*/=1;alert(document.domain)//', 'latin1')],
    ['CORRUPT_INPUT', 'polyglot2.gif', () => Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from('*/=1;alert(1);/*'), Buffer.from([0x3b])])],
    ['TOO_MANY_FRAMES', 'three-thousand.gif', () => animatedGif(16, 16, 3000)],
  ];

  test.each([...cases, ...more])('%s (%s)', async (reason, key, make) => {
    const { item, report, imageId } = await runUpload(`bad/${key}`, await make());
    expect(report.results).toEqual([expect.objectContaining({ outcome: 'FAILED', reason })]);
    expect(item).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: reason } });
    expect(item.error!.message.length).toBeGreaterThan(10);
    expect(item.variants).toBeUndefined();
    expect(await objectsOf(imageId)).toEqual([]);
    const metric = output.metrics().find((line) => line.image_id === imageId)!;
    expect(metric).toMatchObject({ Reason: reason, [METRIC.imagesFailed]: 1 });
    expect(metric._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Environment'], ['Environment', 'Reason']]);
    const announced = outcomes(dataDir).filter((message) => message.image_id === imageId);
    expect(announced).toEqual([expect.objectContaining({
      status: 'FAILED', error: item.error, attributes: { status: 'FAILED', reason, environment: 'handler' },
    })]);
    expect(announced[0].variants).toBeUndefined();
    const refused = output.logs().find((line) => line.image_id === imageId && line.message === 'upload refused');
    expect(refused).toMatchObject({ level: 'WARN', reason, key: `bad/${key}` });
  });

  test('an animation whose encodes would not fit the invocation\'s time ends FAILED as ANIMATION_TOO_LARGE, no outputs', async () => {
    // 2 s left gives a 1 s encode budget; this GIF's animated renditions are 7.9 MP of frames, ~1.6 s.
    const upload = await put('bad/slow.gif', await animatedGif(400, 300, 40));
    const report = await handler(upload.event, { ...context, getRemainingTimeInMillis: () => 2000 } as Context);
    expect(report.results).toEqual([expect.objectContaining({ outcome: 'FAILED', reason: 'ANIMATION_TOO_LARGE' })]);
    const item = await record(upload.imageId);
    expect(item).toMatchObject({ status: 'FAILED', error: { code: 'ANIMATION_TOO_LARGE' }, original: { frames: 40, animated: true, duration_ms: 4000, loop: 0 } });
    expect(item.error!.message).toMatch(/would take about 1\.6 s to encode; the budget is 1\.0 s/);
    expect(await objectsOf(upload.imageId)).toEqual([]);
  });

  test('every reason code is distinct and described', () => {
    expect(new Set(cases.map(([reason]) => reason)).size).toBe(cases.length);
    for (const [reason] of cases) expect(FAILURE_REASONS[reason as keyof typeof FAILURE_REASONS]).toBeDefined();
  });
});

describe('hostile but valid input is processed correctly', () => {
  test('a PNG behind a .jpg name is read as the PNG it is', async () => {
    const { item } = await runUpload('misnamed/really-a-png.jpg', await transparentPng(200, 100));
    expect(item).toMatchObject({ status: 'COMPLETED', original: { format: 'png', alpha: true } });
  });

  test('an EXIF block stuffed with 60 KB of junk is ignored and dropped', async () => {
    const junk = 'J'.repeat(60_000);
    const source = await sharp(await photoJpeg(300, 200)).withExif({ IFD0: { ImageDescription: junk } }).jpeg().toBuffer();
    expect(source.length).toBeGreaterThan(60_000);
    const { item } = await runUpload('junk/exif.jpg', source);
    expect(item.status).toBe('COMPLETED');
    const full = item.variants!.find((v) => v.format === 'jpeg' && v.name === 'full')!;
    expect(full.bytes).toBeLessThan(30_000);
  });
});

describe('every record of an event', () => {
  test('are all processed, keys URL-decoded', async () => {
    const a = await put('batch/one two.jpg', await photoJpeg(300, 200));
    const b = await put('batch/ü+ß.png', await transparentPng(100, 100));
    const event = { Records: [...a.event.Records, ...b.event.Records] } as S3Event;
    expect(event.Records[1].s3.object.key).toBe('batch/%C3%BC%2B%C3%9F.png');
    const report = await handler(event, context);
    expect(report.results.map((r) => [r.key, r.outcome])).toEqual([['batch/one two.jpg', 'COMPLETED'], ['batch/ü+ß.png', 'COMPLETED']]);
  });
});
