/**
 * The local runtime end to end, with real servers, real HTTP and real sharp: uploads go through the command line
 * (or the SDK) to the S3 server, reach the processor as Lambda would deliver them, and the results are read back
 * from DynamoDB and fetched through the local edge. A recording handler checks the Lambda semantics themselves
 * (event shape, retries, failure queue, replay), and a runtime started like `npm start` checks what a user sees
 * and that Ctrl-C leaves nothing running.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { OUTPUT_FORMAT_INFO, OutputFormat } from '../../lib/formats';
import { FailureDestinationMessage, failureQueueDir, listFailureMessages } from '../../local/failure-queue';
import { processAlive, runtimeInfoPath } from '../../local/runtime-info';
import { Runtime, startRuntime } from '../../local/runtime';
import { LOCAL_CREDENTIALS, localClientConfig } from '../../local/servers';
import { objectCreatedEvent } from '../../lib/s3-events';
import { Run, runImgopt } from '../support/run-imgopt';
import { stackFile } from '../../local/stack';
import { animatedGif } from '../../fixtures/images';
import { until } from '../support/until';
import { synthesizeDevStack } from '../support/synth-dev-stack';

const ROOT = path.resolve(__dirname, '..', '..');

let work: string;
let stack: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-runtime-'));
  // Synthesized once for every runtime here, in a plain Node process: 3x faster than through ts-jest's transforms.
  const outdir = path.join(work, 'synth');
  synthesizeDevStack(outdir);
  stack = stackFile(outdir, 'dev');
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function imgopt(args: string[], dataDir: string): Promise<Run> {
  return runImgopt([...args, '--data-dir', dataDir], { cwd: work });
}

/** Process ids of a process's children whose command line matches `pattern`. */
function children(pid: number, pattern = /./): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out.split('\n').map((line) => /^\s*(\d+)\s+(.*)$/.exec(line)).flatMap((match) =>
    match && pattern.test(match[2]) && !/^ps /.test(match[2]) ? [Number(match[1])] : []);
}

describe('local runtime with the processor', () => {
  let runtime: Runtime;
  let dataDir: string;
  let uploads: Array<Record<string, any>>;
  let run: Run;

  beforeAll(async () => {
    dataDir = path.join(work, 'pipeline');
    runtime = await startRuntime({ dataDir, stackFile: stack, port: 0, retryDelayMs: 50 });
    const images = path.join(work, 'images');
    fs.mkdirSync(images);
    // A photo-like JPEG with an upper-case extension and a key with a space and a plus, a transparent PNG, a corrupt file.
    const scene = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900">
      <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#4a90d9"/><stop offset="1" stop-color="#f5d08a"/></linearGradient></defs>
      <rect width="1200" height="900" fill="url(#sky)"/><circle cx="900" cy="220" r="110" fill="#fff3b0"/>
      <path d="M0 700 L300 420 L560 650 L820 380 L1200 720 L1200 900 L0 900 Z" fill="#2f5d3a"/></svg>`;
    await sharp(Buffer.from(scene)).jpeg({ quality: 92 }).toFile(path.join(images, 'summer trip+2.JPG'));
    await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 0.4 } } }).png().toFile(path.join(images, 'logo.png'));
    fs.writeFileSync(path.join(images, 'corrupt.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]));
    run = await imgopt(['upload', images, '--json', '--timeout', '50'], dataDir);
    uploads = JSON.parse(run.stdout || '[]');
  }, 60_000);

  afterAll(() => runtime?.close());

  const byKey = (key: string) => uploads.find((upload) => upload.key === key) as Record<string, any>;

  test('upload --json reports every image with its id, status and variants; a failure makes exit code 3', () => {
    expect(run.stderr).toContain('Uploading 3 images');
    expect(uploads.map((upload) => upload.key).sort()).toEqual(['images/corrupt.jpg', 'images/logo.png', 'images/summer trip+2.JPG']);
    for (const upload of uploads) expect(upload.image_id).toMatch(/^[0-9a-f]{24}$/);
    expect(run.code).toBe(3);
  });

  test('a photo with a space, a plus and an upper-case .JPG ends COMPLETED with variants and savings', () => {
    const photo = byKey('images/summer trip+2.JPG');
    expect(photo).toMatchObject({ status: 'COMPLETED', source_bytes: expect.any(Number), processing_ms: expect.any(Number) });
    expect(photo.bytes_saved).toBeGreaterThan(0);
    const names = new Set(photo.variants.map((variant: any) => variant.name));
    expect([...names]).toEqual(expect.arrayContaining(['thumb', '640']));
    for (const variant of photo.variants) {
      expect(variant).toMatchObject({ format: expect.any(String), width: expect.any(Number), height: expect.any(Number), bytes: expect.any(Number) });
      expect(variant.url).toBe(`${runtime.info.edgeUrl}/${variant.format}/${photo.image_id}/${variant.name}.${OUTPUT_FORMAT_INFO[variant.format as OutputFormat].extension}`);
      expect(variant.negotiated_url).toBe(`${runtime.info.edgeUrl}/images/${photo.image_id}/${variant.name}`);
    }
  });

  test('a transparent PNG ends COMPLETED and keeps a PNG rendition', () => {
    const logo = byKey('images/logo.png');
    expect(logo.status).toBe('COMPLETED');
    expect(logo.variants.map((variant: any) => variant.format)).toContain('png');
  });

  test('a corrupt file ends FAILED with a reason code, and status shows it', async () => {
    const corrupt = byKey('images/corrupt.jpg');
    expect(corrupt.status).toBe('FAILED');
    expect(corrupt.reason).toMatch(/^[A-Z_]+$/);
    expect(corrupt.variants).toEqual([]);
    const status = await imgopt(['status', corrupt.image_id], dataDir);
    expect(status.stdout).toContain(`image ${corrupt.image_id}  FAILED`);
    expect(status.stdout).toContain(corrupt.reason);
    const json = await imgopt(['status', corrupt.image_id, '--json'], dataDir);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'FAILED', error: { code: corrupt.reason } });
  });

  test('the function log holds its JSON lines as Lambda\'s JSON log format keeps them: levels, fields, context, metrics', async () => {
    const photo = byKey('images/summer trip+2.JPG');
    const corrupt = byKey('images/corrupt.jpg');
    const lines = await until('the function\'s lines for every upload', () => {
      const json = fs.readFileSync(runtime.info.logFile!, 'utf8').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
      return json.filter((line) => '_aws' in line).length >= uploads.length ? json : undefined;
    });
    // From the stack's logging_config, passed to the function as Lambda passes it (AWS_LAMBDA_LOG_LEVEL).
    expect(runtime.stack.processor.logLevel).toBe('INFO');
    const logs = lines.filter((line) => 'level' in line);
    expect(logs.find((line) => line.image_id === photo.image_id && line.message === 'processed')).toMatchObject({
      level: 'INFO',
      key: 'images/summer trip+2.JPG',
      environment: 'dev',
      function_name: runtime.info.functionName,
      function_request_id: expect.any(String),
      cold_start: expect.any(Boolean),
    });
    expect(logs.find((line) => line.image_id === corrupt.image_id)).toMatchObject({ level: 'WARN', message: 'upload refused', reason: corrupt.reason });
    // Two execution environments at most (the runtime's concurrency), each cold once: three invocations, one warm at least.
    const starts = [...new Map(logs.filter((line) => line.function_request_id).map((line) => [line.function_request_id, line.cold_start])).values()];
    expect(starts).toHaveLength(uploads.length);
    const cold = starts.filter((start) => start === true).length;
    expect(cold).toBeGreaterThanOrEqual(1);
    expect(cold).toBeLessThanOrEqual(2);
    expect(starts.filter((start) => start === false).length).toBe(uploads.length - cold);
    const failed = lines.find((line) => '_aws' in line && line.image_id === corrupt.image_id);
    expect(failed._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Environment'], ['Environment', 'Reason']]);
    expect(failed).toMatchObject({ Environment: 'dev', Reason: corrupt.reason, ImagesFailed: 1 });
  });

  test('explicit URLs serve each variant with its Content-Type and an immutable Cache-Control', async () => {
    const photo = byKey('images/summer trip+2.JPG');
    for (const variant of photo.variants) {
      const response = await fetch(variant.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(OUTPUT_FORMAT_INFO[variant.format as OutputFormat].contentType);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect([metadata.width, metadata.height]).toEqual([variant.width, variant.height]);
    }
  });

  test('the negotiated URL answers with the best format the Accept header allows', async () => {
    const photo = byKey('images/summer trip+2.JPG');
    const thumb = photo.negotiated_urls.thumb as string;
    const served = async (accept: string) => (await fetch(thumb, { headers: { accept } })).headers.get('content-type');
    expect(await served('image/avif,image/webp,*/*')).toBe('image/avif');
    expect(await served('image/webp,*/*')).toBe('image/webp');
    expect(await served('*/*')).toBe('image/jpeg');
  });

  test('status and fetch find the uploaded image through the command line', async () => {
    const photo = byKey('images/summer trip+2.JPG');
    const output = path.join(work, 'thumb.webp');
    const [status, fetched] = await Promise.all([
      imgopt(['status', photo.image_id], dataDir),
      imgopt(['fetch', photo.image_id, '--variant', 'thumb', '--format', 'webp', '-o', output, '--json'], dataDir),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`image ${photo.image_id}  COMPLETED`);
    expect(status.stdout).toContain('s3://imgopt-uploads-dev/images/summer trip+2.JPG');
    expect(fetched.code).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ status: 200, content_type: 'image/webp', format: 'webp' });
    expect((await sharp(output).metadata()).format).toBe('webp');
  });
});

describe('animated uploads through the local runtime and edge', () => {
  const CHROMIUM_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
  const SHARED_GIF = path.resolve(ROOT, '..', 'shared', 'images', 'edge', 'sharpfixture__animated-loop-3.gif');
  let runtime: Runtime;
  let dataDir: string;
  let uploads: Array<Record<string, any>>;
  let run: Run;
  let source: Buffer;

  beforeAll(async () => {
    dataDir = path.join(work, 'animated');
    runtime = await startRuntime({ dataDir, stackFile: stack, port: 0, retryDelayMs: 50 });
    const images = path.join(work, 'animated-images');
    fs.mkdirSync(images);
    if (!fs.existsSync(SHARED_GIF)) process.stderr.write(`Using a made GIF: ${SHARED_GIF} is absent\n`);
    source = fs.existsSync(SHARED_GIF) ? fs.readFileSync(SHARED_GIF) : await animatedGif(370, 285, 10, { delay: 3000, loop: 3 });
    fs.writeFileSync(path.join(images, 'banner.gif'), source);
    fs.writeFileSync(path.join(images, 'three-thousand.gif'), await animatedGif(16, 16, 3000));
    run = await imgopt(['upload', images, '--json', '--timeout', '50'], dataDir);
    uploads = JSON.parse(run.stdout || '[]');
  }, 60_000);

  afterAll(() => runtime?.close());

  const byKey = (key: string) => uploads.find((upload) => upload.key === key) as Record<string, any>;

  test('the negotiated URL serves the animated WebP, with the same frames and delays, for Chromium\'s Accept', async () => {
    const banner = byKey('animated-images/banner.gif');
    expect(banner.status).toBe('COMPLETED');
    expect(banner.negotiated_urls['640']).toBe(`${runtime.info.edgeUrl}/images/${banner.image_id}/640-anim`);
    const response = await fetch(banner.negotiated_urls['640'], { headers: { accept: CHROMIUM_ACCEPT } });
    expect(response.headers.get('content-type')).toBe('image/webp');
    const served = await sharp(Buffer.from(await response.arrayBuffer()), { animated: true }).metadata();
    const original = await sharp(source, { animated: true }).metadata();
    expect({ pages: served.pages, delay: served.delay, loop: served.loop }).toEqual({ pages: original.pages, delay: original.delay, loop: original.loop });
  });

  test('the same URL serves a still JPEG for Accept: image/jpeg', async () => {
    const banner = byKey('animated-images/banner.gif');
    const response = await fetch(banner.negotiated_urls['640'], { headers: { accept: 'image/jpeg' } });
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).pages ?? 1).toBe(1);
  });

  test('upload and status show the animation and which renditions are animated', async () => {
    const banner = byKey('animated-images/banner.gif');
    expect(banner.original).toMatchObject({ animated: true, frames: 10 });
    // Every WebP but the thumbnail's is animated; every other rendition is a still poster.
    const animated = banner.variants.filter((variant: any) => variant.animated).map((variant: any) => `${variant.format}/${variant.name}`);
    const expected = banner.variants.filter((variant: any) => variant.format === 'webp' && variant.name !== 'thumb').map((variant: any) => `webp/${variant.name}`);
    expect(animated).toEqual(expected);
    expect(animated.length).toBeGreaterThan(1);
    const status = await imgopt(['status', banner.image_id], dataDir);
    expect(status.stdout).toMatch(/animated: 10 frames, \d+\.\d\d s per pass, (plays \d+ times?|loops forever)/);
    expect(status.stdout).toMatch(/webp .*640\.webp  animated, 10 frames/);
  });

  test('a 3000-frame GIF ends FAILED with TOO_MANY_FRAMES and no variants, and the runtime stays up', async () => {
    const long = byKey('animated-images/three-thousand.gif');
    expect(long).toMatchObject({ status: 'FAILED', reason: 'TOO_MANY_FRAMES', variants: [] });
    const again = await fetch(byKey('animated-images/banner.gif').negotiated_urls.thumb, { headers: { accept: CHROMIUM_ACCEPT } });
    expect(again.status).toBe(200);
  });
});

describe('local runtime Lambda semantics (recording handler)', () => {
  let runtime: Runtime;
  let dataDir: string;
  let record: string;
  let s3: S3Client;

  /** Every invocation the handler saw, in order. */
  const invocations = (): Array<{ requestId: string; event: any; remainingMs: number }> =>
    fs.existsSync(record) ? fs.readFileSync(record, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];

  beforeAll(async () => {
    dataDir = path.join(work, 'semantics');
    record = path.join(work, 'invocations.jsonl');
    const handlerFile = path.join(work, 'recording-handler.js');
    fs.writeFileSync(handlerFile, `
      const fs = require('node:fs');
      exports.handler = async (event, context) => {
        fs.appendFileSync(${JSON.stringify(record)}, JSON.stringify({ requestId: context.awsRequestId, event, remainingMs: context.getRemainingTimeInMillis() }) + '\\n');
        const key = event.Records[0].s3.object.key;
        if (key.startsWith('fail')) throw new TypeError('cannot process ' + key);
        return { results: [] };
      };
    `);
    runtime = await startRuntime({ dataDir, stackFile: stack, port: 0, retryDelayMs: 50, handlerFile });
    s3 = new S3Client(localClientConfig(runtime.info.s3Endpoint));
  }, 30_000);

  afterAll(async () => {
    s3?.destroy();
    await runtime?.close();
  });

  const put = (bucket: string, key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('bytes') }));

  test('only images created in the upload bucket reach the handler, one event each, keys URL-encoded as S3 sends them', async () => {
    await put(runtime.info.uploadBucket, 'notes.txt');
    await put(runtime.info.outputBuckets.webp, 'webp/0123456789abcdef01234567/640.webp');
    await put(runtime.info.uploadBucket, 'my summer+photo.JPG');
    const [seen] = await until('the upload event', () => (invocations().length > 0 ? invocations() : undefined));
    await runtime.idle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(invocations()).toHaveLength(1);
    const [eventRecord] = seen.event.Records;
    expect(seen.event.Records).toHaveLength(1);
    expect(eventRecord).toMatchObject({
      eventSource: 'aws:s3',
      eventName: expect.stringMatching(/^ObjectCreated:/),
      awsRegion: runtime.stack.region,
      s3: {
        bucket: { name: runtime.info.uploadBucket, arn: `arn:aws:s3:::${runtime.info.uploadBucket}` },
        object: { key: 'my+summer%2Bphoto.JPG', size: 5, eTag: expect.stringMatching(/^[0-9a-f]{32}$/) },
      },
    });
    // The function's timeout (dev: 60 s) is what the handler sees it has left.
    expect(seen.remainingMs).toBeGreaterThan(50_000);
    expect(seen.remainingMs).toBeLessThanOrEqual(runtime.stack.processor.timeoutSeconds * 1000);
  });

  test('a throwing handler runs maxRetries + 1 times, then the original event lands on the failure queue', async () => {
    const before = invocations().length;
    await put(runtime.info.uploadBucket, 'fail-me.jpg');
    const queue = failureQueueDir(dataDir);
    const [message] = await until('the failure queue message', () => {
      const messages = listFailureMessages(queue);
      return messages.length > 0 ? messages : undefined;
    });
    const attempts = invocations().slice(before);
    const tries = runtime.stack.processor.maxRetries + 1;
    expect(attempts).toHaveLength(tries);
    // Retries keep the request id and the event.
    expect(new Set(attempts.map((attempt) => attempt.requestId)).size).toBe(1);
    const body: FailureDestinationMessage = message.body;
    expect(body).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: {
        requestId: attempts[0].requestId,
        functionArn: `${runtime.info.functionArn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: tries,
      },
      requestPayload: attempts[0].event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError', errorMessage: 'cannot process fail-me.jpg', trace: expect.any(Array) },
    });
    expect(fs.readdirSync(path.join(dataDir, 'invocations'))).toEqual([]);
  });

  test('replay re-drives the failure queue through the Lambda Invoke API and empties it', async () => {
    const queue = failureQueueDir(dataDir);
    const [queued] = listFailureMessages(queue);
    const before = invocations().length;
    const dry = await imgopt(['replay', '--dry-run'], dataDir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('1 message on the failure queue would be replayed to imgopt-processor-dev');
    expect(listFailureMessages(queue)).toHaveLength(1);

    const replayed = await imgopt(['replay', '--json'], dataDir);
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout).messages).toEqual([
      expect.objectContaining({ request_id: queued.body.requestContext.requestId, replayed: true }),
    ]);
    const again = await until('the replayed invocation', () => (invocations().length > before ? invocations()[before] : undefined));
    expect(again.event).toEqual(queued.body.requestPayload);
    expect(again.requestId).not.toBe(queued.body.requestContext.requestId);
    // It fails again, so it goes back to the queue as a new message after its own retries.
    const [back] = await until('the message back on the queue', () => {
      const messages = listFailureMessages(queue);
      return messages.length > 0 ? messages : undefined;
    });
    expect(back.body.requestPayload).toEqual(queued.body.requestPayload);
  });

  test('the Invoke API runs a RequestResponse invocation and answers with the result, or the error', async () => {
    const lambda = new LambdaClient({ endpoint: runtime.info.lambdaEndpoint, region: runtime.stack.region, credentials: LOCAL_CREDENTIALS });
    try {
      const event = (key: string) => Buffer.from(JSON.stringify(objectCreatedEvent({ bucket: runtime.info.uploadBucket, key })));
      const ok = await lambda.send(new InvokeCommand({ FunctionName: runtime.info.functionName, Payload: event('ok.jpg') }));
      expect(ok.StatusCode).toBe(200);
      expect(ok.FunctionError).toBeUndefined();
      expect(JSON.parse(Buffer.from(ok.Payload as Uint8Array).toString())).toEqual({ results: [] });
      const failed = await lambda.send(new InvokeCommand({ FunctionName: runtime.info.functionArn, Payload: event('fail.jpg') }));
      expect(failed.FunctionError).toBe('Unhandled');
      expect(JSON.parse(Buffer.from(failed.Payload as Uint8Array).toString())).toMatchObject({ errorType: 'TypeError', errorMessage: 'cannot process fail.jpg' });
      await expect(lambda.send(new InvokeCommand({ FunctionName: 'another-function', Payload: event('ok.jpg') })))
        .rejects.toThrow(/Function not found: another-function/);
    } finally {
      lambda.destroy();
    }
  });

  test('close stops every server and execution environment and removes runtime.json', async () => {
    const before = children(process.pid, /s3-server\.js|function-worker\.js/);
    expect(before.length).toBeGreaterThanOrEqual(2);
    await runtime.close();
    for (const pid of before) await until(`process ${pid} to exit`, () => (processAlive(pid) ? undefined : true), 5000);
    expect(fs.existsSync(runtimeInfoPath(dataDir))).toBe(false);
  });
});

describe('npm start, as a user runs it', () => {
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  const dataDir = () => path.join(work, 'started');

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  test('prints what runs where and the edge URL on its own line; a second start on the same data folder is refused', async () => {
    child = spawn(process.execPath, ['-r', 'esbuild-register', path.join(ROOT, 'local', 'start.ts'), '--data-dir', dataDir(), '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const url = await until('the edge URL', () => /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1], 40_000);
    for (const expected of ['S3 (uploads, variants)  http://127.0.0.1:', 'DynamoDB (metadata)     http://127.0.0.1:', 'imgopt-uploads-dev', 'imgopt-metadata-dev', 'npx imgopt upload']) {
      expect(stdout).toContain(expected);
    }
    expect((await fetch(`${url}/images/0123456789abcdef01234567/thumb`)).status).toBe(403);

    const second = await new Promise<Run>((resolve) => {
      const other = spawn(process.execPath, ['-r', 'esbuild-register', path.join(ROOT, 'local', 'start.ts'), '--data-dir', dataDir(), '--port', '0'], { cwd: ROOT });
      let out = '';
      let err = '';
      other.stdout.on('data', (chunk) => (out += chunk));
      other.stderr.on('data', (chunk) => (err += chunk));
      other.once('close', (code) => resolve({ code, stdout: out, stderr: err }));
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`npm start: a local runtime is already running with the data folder ${dataDir()} (pid ${child.pid}): stop it first, or use another --data-dir\n`);
  }, 60_000);

  test('Ctrl-C stops it with exit code 0 and leaves no process behind', async () => {
    const descendants = children(child.pid as number);
    expect(descendants.length).toBeGreaterThanOrEqual(1);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('Stopped.');
    expect(stderr).toBe('');
    for (const pid of descendants) await until(`process ${pid} to exit`, () => (processAlive(pid) ? undefined : true), 5000);
    expect(fs.existsSync(runtimeInfoPath(dataDir()))).toBe(false);
  }, 20_000);
});
