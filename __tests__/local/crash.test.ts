/**
 * Crash safety, as a user meets it: `npm start`, a folder of photos uploaded with `imgopt upload --no-wait`, and the
 * runtime killed hard (SIGKILL to its whole process group) while uploads are mid-way; then started again. And a
 * function worker killed mid-invocation (as an out-of-memory kill would). Every upload must end COMPLETED, with
 * its outcome announced: none may stay PROCESSING because a dead attempt's claim was still valid when its event
 * came back (the lease is renewed while an attempt works, and runs out before the retry; lib/lease.ts).
 *
 * The real runtime, servers, function bundle and command line, in their own processes. The lease and the retry
 * delay are scaled down (2 s and 3 s instead of 30 s and Lambda's 60 s) with the runtime's own options, so the test
 * takes seconds, with the same order between them as in production.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ImageRecord } from '../../lib/metadata';
import type { OutcomeMessage } from '../../lib/outcomes';
import { listFailureMessages, failureQueueDir } from '../../local/failure-queue';
import { readNotifications } from '../../local/notifications';
import { ReadyRuntimeInfo, processAlive, readRuntimeInfo } from '../../local/runtime-info';
import { localClientConfig } from '../../local/servers';
import { photoJpeg } from '../../fixtures/images';
import { runImgopt } from '../support/run-imgopt';
import { until } from '../support/until';

const ROOT = path.resolve(__dirname, '..', '..');
const UPLOADS = 8;
let work: string;
let photos: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-crash-'));
  photos = path.join(work, 'photos');
  fs.mkdirSync(photos);
  // Large enough that several are mid-way when the runtime is killed. One photo under several names: each key is
  // its own upload with its own image id.
  const photo = await photoJpeg(2400, 1600, { seed: 300 });
  for (let i = 0; i < UPLOADS; i += 1) fs.writeFileSync(path.join(photos, `photo-${i}.jpg`), photo);
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** `npm start` in its own process group (so the whole group can be killed, as a terminal's kill would). */
async function start(dataDir: string, timing = { leaseSeconds: 2, retryDelayMs: 3000 }): Promise<Started> {
  const child = spawn(process.execPath, [
    '-r', 'esbuild-register', path.join(ROOT, 'local', 'start.ts'),
    '--data-dir', dataDir, '--port', '0', '--console-port', '0',
    '--retry-delay', String(timing.retryDelayMs), '--lease', String(timing.leaseSeconds),
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await until('the runtime to be ready', () => (/^http:\/\/127\.0\.0\.1:\d+$/m.test(output) ? true : undefined), 60_000);
  return { child, output: () => output };
}

async function stop(started: Started, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  process.kill(-(started.child.pid as number), signal);
  await exited;
}

function table(dataDir: string): { documents: DynamoDBDocumentClient; name: string } {
  const info = readRuntimeInfo(dataDir) as ReadyRuntimeInfo | undefined;
  if (!info || info.state !== 'ready') throw new Error('the runtime is not ready');
  return { documents: DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(info.dynamodbEndpoint))), name: info.table };
}

async function records(dataDir: string, ids: readonly string[]): Promise<ImageRecord[]> {
  const { documents, name } = table(dataDir);
  try {
    return await Promise.all(ids.map(async (id) => {
      const { Item } = await documents.send(new GetCommand({ TableName: name, Key: { image_id: id }, ConsistentRead: true }));
      return Item as ImageRecord;
    }));
  } finally {
    documents.destroy();
  }
}

/** True once an upload is held by a running attempt while at least two more have not ended: a kill now cuts one off. */
async function midWay(dataDir: string, ids: readonly string[]): Promise<true | undefined> {
  const items = await records(dataDir, ids);
  const held = items.filter((item) => item?.status === 'PROCESSING').length;
  const open = items.filter((item) => !item || item.status === 'PROCESSING').length;
  return held >= 1 && open >= 3 ? true : undefined;
}

async function uploadAll(dataDir: string): Promise<string[]> {
  const run = await runImgopt(['upload', photos, '--no-wait', '--json', '--data-dir', dataDir], { cwd: work });
  // Progress goes to stderr; the answer is the JSON on stdout.
  expect(run.code).toBe(0);
  const ids = (JSON.parse(run.stdout) as Array<{ image_id: string }>).map((result) => result.image_id);
  expect(ids).toHaveLength(UPLOADS);
  return ids;
}

/** Every upload ended (COMPLETED, or FAILED with a reason) and was announced; or something went to the failure queue. */
async function allEnded(dataDir: string, ids: readonly string[]): Promise<ImageRecord[] | undefined> {
  const items = await records(dataDir, ids);
  if (listFailureMessages(failureQueueDir(dataDir)).length > 0) return items;
  const ended = items.every((item) => item && item.announced_at !== undefined
    && (item.status === 'COMPLETED' || (item.status === 'FAILED' && item.error?.code)));
  return ended ? items : undefined;
}

function announced(dataDir: string): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const notification of readNotifications(dataDir)) {
    const message = JSON.parse(notification.Message) as OutcomeMessage;
    byId.set(message.image_id, [...(byId.get(message.image_id) ?? []), message.status]);
  }
  return byId;
}

function expectEveryOutcome(dataDir: string, items: readonly ImageRecord[]): void {
  expect(items.map((item) => item.status)).toEqual(items.map(() => 'COMPLETED'));
  expect(listFailureMessages(failureQueueDir(dataDir))).toEqual([]);
  const byId = announced(dataDir);
  for (const item of items) {
    // At least once; a crash between the publish and its record can repeat it, never change it.
    expect(byId.get(item.image_id)?.length).toBeGreaterThanOrEqual(1);
    expect(new Set(byId.get(item.image_id))).toEqual(new Set(['COMPLETED']));
    expect(item.announced_at).toBeDefined();
  }
}

test('the runtime killed hard mid-way and started again: every upload ends COMPLETED and is announced', async () => {
  const dataDir = path.join(work, 'killed');
  // As with the defaults (a 30 s lease, Lambda's 60 s retry), the restart comes well inside the dead attempts'
  // leases: the events they were running must wait out the retry delay, not run at once, fail and be used up.
  const timing = { leaseSeconds: 20, retryDelayMs: 25_000 };
  const first = await start(dataDir, timing);
  const ids = await uploadAll(dataDir);
  // Killed while some uploads are held by attempts that are about to die with it, and others still wait.
  await until('an upload mid-way', () => midWay(dataDir, ids), 60_000);
  await stop(first, 'SIGKILL');
  // The dead runtime left its unfinished events on disk: the next start resumes them.
  expect(fs.readdirSync(path.join(dataDir, 'invocations')).filter((name) => name.endsWith('.json')).length).toBeGreaterThan(0);

  const second = await start(dataDir, timing);
  try {
    expect(second.output()).toMatch(/Resuming \d+ event\(s\) left unfinished by the last run/);
    const items = await until('every upload to end', () => allEnded(dataDir, ids), 120_000);
    expectEveryOutcome(dataDir, items);
    // Some upload was taken over from the attempt that died with the first runtime.
    expect(items.some((item) => item.attempts >= 2)).toBe(true);
  } finally {
    await stop(second, 'SIGTERM');
  }
}, 240_000);

test('a function worker killed mid-invocation (as an out-of-memory kill would): its upload is taken over and ends COMPLETED', async () => {
  const dataDir = path.join(work, 'worker');
  const started = await start(dataDir);
  try {
    const ids = await uploadAll(dataDir);
    await until('an upload mid-way', () => midWay(dataDir, ids), 60_000);
    // The workers are the runtime's children, each in its own process group (local/function-host.ts).
    const workers = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(started.child.pid)], { encoding: 'utf8' })
      .split('\n').map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .flatMap((match) => (match && /function-worker/.test(match[2]) ? [Number(match[1])] : []));
    expect(workers.length).toBeGreaterThan(0);
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    for (const pid of workers) await until(`worker ${pid} to die`, () => (processAlive(pid) ? undefined : true), 5000);

    const items = await until('every upload to end', () => allEnded(dataDir, ids), 120_000);
    expectEveryOutcome(dataDir, items);
    expect(started.output()).toMatch(/error .*attempt 1 of \d, retrying in 3\.0 s/);
  } finally {
    await stop(started, 'SIGTERM');
  }
}, 240_000);
