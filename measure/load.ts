/**
 * `npm run load -- --count N --concurrency C`: N uploads into the local runtime, then a reconciliation of every
 * uploaded key against the metadata table, the output buckets and the failure queue.
 *
 * Every upload must end COMPLETED (with every variant object present), FAILED with a reason, or on the failure
 * queue. Anything else is `lost`, and the script exits 1 when lost is not 0. Every upload that ended must also have
 * an outcome notification with its final status (`<data>/notifications/`); one without is `unannounced`, and the
 * script exits 1 when that is not 0 either.
 *
 * Options:
 *   --count N          uploads (default 1000)
 *   --concurrency C    uploads in flight at once (default 8)
 *   --sizes mixed|small  mixed: photo sizes from 0.3 to 12 MP (default); small: thumbnails, for quick runs
 *   --bad-share F      share of uploads that are corrupt files, which must end FAILED (default 0.02)
 *   --faults F         share of the function's S3 and DynamoDB requests answered with 503/throttling/drops (default 0)
 *   --sns-faults F     share of the function's SNS publishes refused with throttling (default 0)
 *   --fault-seconds S  how long faults are injected, from the first upload (default: the whole run)
 *   --timeout S        give up waiting for processing after S seconds without progress (default 120)
 *
 * Uses the running local runtime (`npm start`) when there is one; otherwise starts its own in a temporary folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deriveImageId } from '../lib/keys';
import { ImageRecord } from '../lib/metadata';
import type { OutcomeMessage } from '../lib/outcomes';
import { listFailureMessages, messageImageIds } from '../local/failure-queue';
import { readNotifications } from '../local/notifications';
import { FaultRule } from '../local/fault-proxy';
import { ReadyRuntimeInfo, processAlive, readRuntimeInfo, resolveDataDir } from '../local/runtime-info';
import { Runtime, startRuntime } from '../local/runtime';
import { localClientConfig } from '../local/servers';
import { photoJpeg } from '../fixtures/images';
import { seededRandom } from '../fixtures/random';

export interface LoadOptions {
  readonly count: number;
  readonly concurrency: number;
  readonly sizes: 'mixed' | 'small';
  readonly badShare: number;
  readonly faults: number;
  /** Share of the function's SNS publishes refused (throttling) during the fault window. */
  readonly snsFaults?: number;
  readonly faultSeconds?: number;
  readonly timeoutSeconds: number;
  /** Progress lines (stderr in the script). */
  readonly progress?: (line: string) => void;
}

export interface LoadResult {
  readonly uploaded: number;
  readonly completed: number;
  readonly failed: Readonly<Record<string, number>>;
  readonly queued: number;
  readonly lost: number;
  /** Uploads that ended (COMPLETED or FAILED) without a notification of that status (those on the failure queue aside). */
  readonly unannounced: number;
  /** Outcome notifications published, duplicates included (at least once: subscribers dedupe). */
  readonly notifications: number;
  /** Uploads that should have failed (corrupt) but did not, or good ones that failed: wrong outcomes. */
  readonly wrong: number;
  /** COMPLETED items with a variant object missing. */
  readonly missingObjects: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly faultsInjected: number;
}

const MIXED_SIZES: ReadonlyArray<readonly [number, number, number]> = [
  // width, height, share: mostly web-sized photos, some phone photos, a few 12 MP camera shots.
  [640, 480, 0.35], [1280, 960, 0.3], [2048, 1536, 0.2], [3024, 2268, 0.1], [4032, 3024, 0.05],
];
const SMALL_SIZES: ReadonlyArray<readonly [number, number, number]> = [[96, 64, 0.5], [160, 120, 0.3], [320, 240, 0.2]];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A few distinct images per size, reused under different keys (each key is its own upload and image id). */
async function corpus(options: LoadOptions): Promise<Array<{ body: Buffer; bad: boolean }>> {
  const sizes = options.sizes === 'small' ? SMALL_SIZES : MIXED_SIZES;
  const bySize = await Promise.all(sizes.map(async ([width, height], index) =>
    Promise.all([1, 2, 3].map((variant) => photoJpeg(width, height, { seed: index * 10 + variant })))));
  const corrupt = Buffer.from(bySize[0][0]);
  corrupt.fill(0x11, 200, corrupt.length - 2); // header and end marker intact, entropy-coded data destroyed
  const uploads: Array<{ body: Buffer; bad: boolean }> = [];
  const random = seededRandom(12345);
  for (let i = 0; i < options.count; i += 1) {
    if (random() < options.badShare) {
      uploads.push({ body: corrupt, bad: true });
      continue;
    }
    let pick = random();
    let sizeIndex = 0;
    while (sizeIndex < sizes.length - 1 && pick >= sizes[sizeIndex][2]) pick -= sizes[sizeIndex++][2];
    uploads.push({ body: bySize[sizeIndex][i % 3], bad: false });
  }
  return uploads;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  }));
}

export async function runLoad(options: LoadOptions, runtimeInfo?: ReadyRuntimeInfo): Promise<LoadResult> {
  const say = options.progress ?? (() => undefined);
  let own: Runtime | undefined;
  let ownDir: string | undefined;
  let info = runtimeInfo;
  if (!info) {
    const running = readRuntimeInfo(resolveDataDir());
    const snsFaults = options.snsFaults ?? 0;
    if (running?.state === 'ready' && processAlive(running.pid) && options.faults === 0 && snsFaults === 0) {
      info = running as ReadyRuntimeInfo;
      say(`Using the running local runtime (pid ${info.pid}, data in ${info.dataDir})`);
    } else {
      ownDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-load-'));
      const described = [
        options.faults > 0 ? `${Math.round(options.faults * 100)}% S3 and DynamoDB faults` : '',
        snsFaults > 0 ? `${Math.round(snsFaults * 100)}% of SNS publishes refused` : '',
      ].filter(Boolean).join(', ');
      say(`Starting a local runtime for this run in ${ownDir}${described ? ` with ${described}` : ''}`);
      const faults: FaultRule[] = [
        ...(['s3', 'dynamodb'] as const).flatMap((service): FaultRule[] => (options.faults > 0 ? [
          { kind: 'error503', rate: options.faults / 3, service },
          { kind: 'throttle', rate: options.faults / 3, service },
          { kind: 'drop', rate: options.faults / 3, service },
        ] : [])),
        ...(snsFaults > 0 ? [{ kind: 'throttle', rate: snsFaults, service: 'sns' } as const] : []),
      ];
      // With SNS refusing publishes, Lambda's retry is what announces the outcomes the first attempt could not:
      // it comes after the window, as Lambda's one-minute retry would come after a short SNS outage.
      const retryDelayMs = snsFaults > 0 && options.faultSeconds !== undefined ? (options.faultSeconds + 1) * 1000 : 200;
      own = await startRuntime({ dataDir: ownDir, port: 0, retryDelayMs, faults, faultSeconds: options.faultSeconds });
      info = own.info;
    }
  }
  // Ctrl-C stops the runtime this run started and removes its folder, instead of leaving them behind.
  const interrupted = () => {
    say('interrupted: stopping');
    void (own?.close() ?? Promise.resolve()).finally(() => {
      if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);

  const s3 = new S3Client(localClientConfig(info.s3Endpoint));
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(info.dynamodbEndpoint)));
  try {
    const uploads = await corpus(options);
    const runId = Date.now().toString(36);
    const sent: Array<{ key: string; imageId: string; bad: boolean; at: number }> = new Array(uploads.length);
    const started = Date.now();
    let done = 0;
    await pool(uploads, options.concurrency, async (upload, index) => {
      const key = `load/${runId}/${String(index).padStart(5, '0')} photo.JPG`;
      const at = Date.now();
      const { ETag, VersionId } = await s3.send(new PutObjectCommand({ Bucket: info!.uploadBucket, Key: key, Body: upload.body, ContentType: 'image/jpeg' }));
      sent[index] = { key, bad: upload.bad, at, imageId: deriveImageId({ bucket: info!.uploadBucket, key, versionId: VersionId, etag: ETag }) };
      done += 1;
      if (done % 50 === 0 || done === uploads.length) say(`uploaded ${done}/${uploads.length}`);
    });

    // Wait until every upload has an outcome, or nothing has moved for the timeout.
    const records = new Map<string, ImageRecord>();
    let settled = 0;
    let lastProgress = Date.now();
    let queuedIds = new Set<string>();
    let announced = new Map<string, Set<string>>();
    for (;;) {
      const open = sent.filter((upload) => !['COMPLETED', 'FAILED'].includes(records.get(upload.imageId)?.status ?? ''));
      for (let i = 0; i < open.length; i += 100) {
        const batch = open.slice(i, i + 100);
        const { Responses } = await documents.send(new BatchGetCommand({
          RequestItems: { [info.table]: { Keys: batch.map((upload) => ({ image_id: upload.imageId })), ConsistentRead: true } },
        }));
        for (const item of (Responses?.[info.table] ?? []) as ImageRecord[]) records.set(item.image_id, item);
      }
      queuedIds = new Set(listFailureMessages(info.failureQueueDir).flatMap((message) => messageImageIds(message.body)));
      announced = announcedStatuses(info.dataDir);
      const now = sent.filter((upload) => {
        const status = records.get(upload.imageId)?.status ?? '';
        return (['COMPLETED', 'FAILED'].includes(status) && announced.get(upload.imageId)?.has(status)) || queuedIds.has(upload.imageId);
      }).length;
      if (now !== settled) {
        settled = now;
        lastProgress = Date.now();
        say(`processed ${settled}/${sent.length}`);
      }
      if (settled === sent.length) break;
      if (Date.now() - lastProgress > options.timeoutSeconds * 1000) {
        say(`no progress for ${options.timeoutSeconds} s: reconciling what there is`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const seconds = (Date.now() - started) / 1000;

    const failed: Record<string, number> = {};
    let completed = 0;
    let queued = 0;
    let lost = 0;
    let unannounced = 0;
    let wrong = 0;
    let missingObjects = 0;
    const latencies: number[] = [];
    for (const upload of sent) {
      const item = records.get(upload.imageId);
      // An event on the failure queue is announced when it is replayed (or by the sweep), not in this run.
      const ended = item?.status === 'COMPLETED' || item?.status === 'FAILED';
      if (ended && !queuedIds.has(upload.imageId) && !announced.get(upload.imageId)?.has(item.status)) unannounced += 1;
      if (item?.status === 'COMPLETED') {
        completed += 1;
        if (upload.bad) wrong += 1;
        latencies.push(Date.parse(item.completed_at!) - upload.at);
        for (const variant of item.variants ?? []) {
          const exists = await s3.send(new HeadObjectCommand({ Bucket: info.outputBuckets[variant.format], Key: variant.key }))
            .then((head) => head.ContentLength === variant.bytes, () => false);
          if (!exists) missingObjects += 1;
        }
      } else if (item?.status === 'FAILED') {
        const reason = item.error?.code ?? 'UNKNOWN';
        failed[reason] = (failed[reason] ?? 0) + 1;
        if (!upload.bad) wrong += 1;
      } else if (queuedIds.has(upload.imageId)) {
        queued += 1;
      } else {
        lost += 1;
      }
    }
    latencies.sort((a, b) => a - b);
    return {
      uploaded: sent.length,
      completed,
      failed,
      queued,
      lost,
      unannounced,
      notifications: readNotifications(info.dataDir).length,
      wrong,
      missingObjects,
      seconds,
      throughput: sent.length / seconds,
      latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? 0 },
      faultsInjected: own?.faultStats?.() ?? 0,
    };
  } finally {
    process.removeListener('SIGINT', interrupted);
    s3.destroy();
    await own?.close();
    if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
  }
}

/** The statuses announced per image id, from the runtime's notification files. */
function announcedStatuses(dataDir: string): Map<string, Set<string>> {
  const byId = new Map<string, Set<string>>();
  for (const notification of readNotifications(dataDir)) {
    const message = JSON.parse(notification.Message) as OutcomeMessage;
    byId.set(message.image_id, (byId.get(message.image_id) ?? new Set()).add(message.status));
  }
  return byId;
}

function parseArgs(argv: string[]): LoadOptions {
  const options = {
    count: 1000, concurrency: 8, sizes: 'mixed' as 'mixed' | 'small', badShare: 0.02, faults: 0, snsFaults: 0,
    faultSeconds: undefined as number | undefined, timeoutSeconds: 120,
  };
  const number = (name: string, value: string | undefined, min: number, max: number) => {
    const parsed = Number(value);
    if (value === undefined || !Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw new Error(`${name} expects a number from ${min} to ${max}, received ${value ?? 'nothing'}`);
    }
    return parsed;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    switch (arg) {
      case '--count': options.count = Math.round(number(arg, value, 1, 1_000_000)); i += 1; break;
      case '--concurrency': options.concurrency = Math.round(number(arg, value, 1, 256)); i += 1; break;
      case '--bad-share': options.badShare = number(arg, value, 0, 1); i += 1; break;
      case '--faults': options.faults = number(arg, value, 0, 0.9); i += 1; break;
      case '--sns-faults': options.snsFaults = number(arg, value, 0, 1); i += 1; break;
      case '--fault-seconds': options.faultSeconds = number(arg, value, 0, 86_400); i += 1; break;
      case '--timeout': options.timeoutSeconds = number(arg, value, 1, 86_400); i += 1; break;
      case '--sizes':
        if (value !== 'mixed' && value !== 'small') throw new Error(`--sizes expects mixed or small, received ${value ?? 'nothing'}`);
        options.sizes = value;
        i += 1;
        break;
      default:
        throw new Error(`unknown option ${arg} (expected --count, --concurrency, --sizes, --bad-share, --faults, --sns-faults, --fault-seconds, --timeout)`);
    }
  }
  return options;
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: LoadOptions;
  try {
    options = { ...parseArgs(process.argv.slice(2)), progress: (line) => process.stderr.write(`${line}\n`) };
  } catch (error) {
    console.error(`load: ${(error as Error).message}`);
    return 2;
  }
  const result = await runLoad(options);
  const failedTotal = Object.values(result.failed).reduce((sum, n) => sum + n, 0);
  console.log(`uploaded:   ${result.uploaded} (${options.sizes} sizes, ${Math.round(options.badShare * 100)}% corrupt, concurrency ${options.concurrency})`);
  console.log(`completed:  ${result.completed}`);
  console.log(`failed:     ${failedTotal}${failedTotal ? ` (${Object.entries(result.failed).map(([reason, n]) => `${reason}: ${n}`).join(', ')})` : ''}`);
  console.log(`queued:     ${result.queued} (on the failure queue: npx imgopt replay)`);
  console.log(`lost:       ${result.lost}`);
  console.log(`unannounced: ${result.unannounced} (ended without a notification of that status; ${result.notifications} notifications in all)`);
  console.log(`wrong outcome: ${result.wrong}; completed with a variant object missing: ${result.missingObjects}`);
  if (options.faults > 0 || options.snsFaults) console.log(`faults injected: ${result.faultsInjected}`);
  console.log(`time:       ${result.seconds.toFixed(1)} s, ${result.throughput.toFixed(2)} uploads/s`);
  console.log(`latency (upload to COMPLETED): p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`);
  return result.lost === 0 && result.unannounced === 0 && result.wrong === 0 && result.missingObjects === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (error) => {
    console.error(`load: ${(error as Error).message}`);
    process.exit(1);
  });
}
