/**
 * The whole pipeline on loopback, from the synthesized dev stack: the S3 and DynamoDB servers with the stack's
 * buckets and table, the processor's bundle run on every upload the way Lambda runs it asynchronously (bounded
 * concurrency, retries, then the failure queue), the function's Invoke API (for replays), and the local edge
 * serving the stack's CloudFront distribution. `npm start` (local/start.ts) runs it; the tests start it in-process.
 *
 * Data lives in one folder (default `.local-data/`): the servers' data, the failure queue, events still to run,
 * the function's log, the synthesized stack, and runtime.json while it runs.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { bundleHandlerForHost } from '../packaging/bundle';
import { decodeS3Key } from '../functions/processor/event';
import { FUNCTION_ENV, readFunctionConfig } from '../lib/function-environment';
import { STUCK_SWEEP_MINUTES } from '../lib/lease';
import type { VariantPreset } from '../lib/variants';
import { localTargetFor } from '../cli/target';
import { AsyncInvoker, InvocationProgress } from './async-invoker';
import { startConsole } from './console/server';
import { BehaviourSummary, EdgeLogEntry, readDistribution, startLocalEdge } from './edge';
import { failureQueueDir } from './failure-queue';
import { FaultRule, startFaultProxy } from './fault-proxy';
import { FunctionHost } from './function-host';
import { LambdaApi, startLambdaApi } from './lambda-api';
import { LocalTopic, StoredNotification, notificationsDir, startLocalTopic } from './notifications';
import { ReadyRuntimeInfo, claimDataDir, releaseDataDir, resolveDataDir, writeRuntimeInfo } from './runtime-info';
import { createPipelineResources, localAwsEnvironment, startLocalServers } from './servers';
import { LocalStack, readLocalStack, synthesizeStack } from './stack';

/** The edge's port unless told otherwise: the URL stays the same from one run to the next. */
export const DEFAULT_EDGE_PORT = 8787;

/** Lambda's first retry of a failed asynchronous invocation comes about a minute later; so does the local one. */
export const DEFAULT_RETRY_DELAY_MS = 60_000;

/** The event EventBridge's schedule sends (the function tells it apart from an S3 event by its detail-type). */
function scheduledEvent(region: string, functionArn: string) {
  const account = functionArn.split(':')[4];
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/stuck-sweep`],
    detail: {},
  };
}

export interface RuntimeOptions {
  /** @default - `IMAGE_OPT_DATA_DIR`, else `.local-data/` in the project */
  readonly dataDir?: string;
  /** Environment whose stack runs locally. @default 'dev' */
  readonly environment?: string;
  /** An already synthesized cdk.tf.json to run. @default - the app is synthesized into `<data>/synth/` */
  readonly stackFile?: string;
  /** Port of the local edge (0: any free port). @default 8787 */
  readonly port?: number;
  /** @default 0 (any free port) */
  readonly s3Port?: number;
  /** @default 0 (any free port) */
  readonly dynamodbPort?: number;
  /** @default 0 (any free port) */
  readonly lambdaPort?: number;
  /** Serve the console (local/console/) on this port (0: any free port). @default - no console */
  readonly consolePort?: number;
  /** Invocations that run at once. @default 2 */
  readonly concurrency?: number;
  /**
   * Wait before the first retry of a failed invocation, doubled for each further one. Keep it longer than the
   * lease, as Lambda's one minute is, so a retry after a crash takes the upload over.
   *
   * @default 60000 (Lambda's first retry comes about a minute later)
   */
  readonly retryDelayMs?: number;
  /** How long an attempt's claim holds without renewal (lib/lease.ts). @default - the stack's (30 s) */
  readonly leaseSeconds?: number;
  /** Time between stuck sweeps. @default - the stack's schedule (5 minutes) */
  readonly sweepIntervalMs?: number;
  /** Where each outcome notification is also POSTed, as SNS does to an HTTP subscriber. @default - files only */
  readonly notifyUrl?: string;
  /** How long stopping waits for running invocations before it ends them. @default 15000 */
  readonly stopTimeoutMs?: number;
  /** A built handler to run instead of the processor's bundle (a CommonJS file exporting `handler`). */
  readonly handlerFile?: string;
  /** Receives the function's output (it always goes to `<data>/logs/processor.log` too). */
  readonly onFunctionOutput?: (text: string) => void;
  /** Told about uploads, invocations and edge requests, for a console. */
  readonly onActivity?: (activity: RuntimeActivity) => void;
  /** Environment variables for the synthesis (prefix, region...). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Faults injected into the function's own S3 and DynamoDB requests (local/fault-proxy.ts), to exercise the SDK's
   * and Lambda's retries and the failure queue; uploads, the edge and the command line reach the servers directly.
   *
   * @default - none
   */
  readonly faults?: readonly FaultRule[];
  /** Seconds the faults last, counted from the first upload. @default - as long as the runtime runs */
  readonly faultSeconds?: number;
}

export type RuntimeActivity =
  | { readonly type: 'upload'; readonly bucket: string; readonly key: string; readonly bytes: number; readonly triggers: boolean }
  | { readonly type: 'notification'; readonly notification: StoredNotification }
  | { readonly type: 'delivery-problem'; readonly text: string }
  | { readonly type: 'edge'; readonly entry: EdgeLogEntry }
  | InvocationProgress;

export interface Runtime {
  /** What runtime.json says: endpoints, names, folders. */
  readonly info: ReadyRuntimeInfo;
  readonly stack: LocalStack;
  /** The edge's cache behaviours, in the order they match, the default last. */
  readonly behaviours: readonly BehaviourSummary[];
  /** Events left unfinished by the previous run, queued again at start. */
  readonly resumed: number;
  /** Resolves once no invocation is queued, running or waiting for a retry. */
  idle(): Promise<void>;
  /** Faults injected so far (0 without `faults`). */
  faultStats(): number;
  /** Runs the stuck sweep now (as the schedule does), queued like any invocation; returns its request id. */
  sweep(): string;
  /** Stops taking events, waits (bounded) for running invocations, then stops every server and process. */
  close(): Promise<void>;
}

/** A problem the user can fix (port in use, folder taken, bad configuration): one clear line, no stack trace. */
export class RuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const dataDir = resolveDataDir(options.dataDir);
  const startedAt = new Date().toISOString();
  const claim = claimDataDir(dataDir, { state: 'starting', pid: process.pid, startedAt, dataDir });
  if (claim.heldBy !== undefined) {
    throw new RuntimeError(`a local runtime is already running with the data folder ${dataDir} (pid ${claim.heldBy}): stop it first, or use another --data-dir`);
  }

  const cleanup: Array<() => Promise<void> | void> = [() => releaseDataDir(dataDir)];
  const unwind = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    const edgePort = options.port ?? DEFAULT_EDGE_PORT;
    const edgePortInUse = `the edge port ${edgePort} is in use (another runtime or program?): choose another with --port or IMAGE_OPT_PORT`;
    await ensurePortFree(edgePort, edgePortInUse);
    if (options.consolePort !== undefined) await ensurePortFree(options.consolePort, consolePortInUse(options.consolePort));

    const stack = loadStack(options, dataDir);
    const distribution = readDistribution(stack.json);
    const handlerFile = options.handlerFile ?? bundleHandlerForHost();

    const servers = await startLocalServers({ dataDir, s3Port: options.s3Port, dynamodbPort: options.dynamodbPort })
      .catch((error: Error) => { throw new RuntimeError(error.message); });
    cleanup.push(() => servers.close());
    await createPipelineResources(servers, { uploadBucket: stack.uploadBucket, outputBuckets: stack.outputBuckets, table: stack.table });

    const logFile = path.join(dataDir, 'logs', `${stack.processor.name}.log`);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    cleanup.push(() => new Promise<void>((resolve) => log.end(() => resolve())));

    const fn = stack.processor;
    const topic: LocalTopic = await startLocalTopic({
      dataDir,
      topicArn: fn.outcomeTopicArn,
      notifyUrl: options.notifyUrl,
      onNotification: (notification) => options.onActivity?.({ type: 'notification', notification }),
      onDeliveryProblem: (text) => options.onActivity?.({ type: 'delivery-problem', text }),
    }).catch((error: Error) => { throw new RuntimeError(`the local outcome topic did not start: ${error.message}`); });
    cleanup.push(() => topic.close());

    const faults = await startFaults({ ...servers, snsEndpoint: topic.endpoint }, options.faults ?? []);
    cleanup.push(() => faults.close());

    // The edge first: its URL is the CDN URL the function puts in its notifications.
    const edge = await startLocalEdge({
      distribution,
      s3Endpoint: servers.s3Endpoint,
      port: edgePort,
      onRequest: (entry) => options.onActivity?.({ type: 'edge', entry }),
    }).catch((error: Error) => {
      throw new RuntimeError(/in use/.test(error.message) ? edgePortInUse : `the local edge did not start: ${error.message}`);
    });
    cleanup.push(() => edge.close());

    const functionEnvironment = {
      ...fn.environment,
      [FUNCTION_ENV.cdnUrl]: edge.url,
      ...(options.leaseSeconds !== undefined ? { [FUNCTION_ENV.leaseSeconds]: String(options.leaseSeconds) } : {}),
    };
    const host = new FunctionHost({
      handlerFile,
      functionName: fn.name,
      functionArn: fn.arn,
      memoryMb: fn.memoryMb,
      timeoutSeconds: fn.timeoutSeconds,
      environment: { ...functionEnvironment, ...localAwsEnvironment(faults.endpoints) },
      logLevel: fn.logLevel,
      maxInstances: options.concurrency ?? 2,
      log: (text) => {
        log.write(text);
        options.onFunctionOutput?.(text);
      },
    });
    cleanup.push(() => host.close());

    const invoker = new AsyncInvoker({
      invoke: (event, requestId) => host.invoke(event, requestId),
      functionArn: fn.arn,
      concurrency: options.concurrency ?? 2,
      maxRetries: fn.maxRetries,
      maxEventAgeSeconds: fn.maxEventAgeSeconds,
      retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      pendingDir: path.join(dataDir, 'invocations'),
      failureQueueDir: failureQueueDir(dataDir),
      onProgress: options.onActivity,
    });
    const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
    cleanup.push(async () => {
      await invoker.stop(stopTimeoutMs);
    });
    let faultTimer: NodeJS.Timeout | undefined;
    servers.onObjectCreated((event) => {
      if (options.faultSeconds !== undefined && !faultTimer) {
        faultTimer = setTimeout(() => faults.stop(), options.faultSeconds * 1000).unref();
      }
      routeUpload(event, stack, invoker, options.onActivity);
    });
    cleanup.push(() => clearTimeout(faultTimer));

    // The stuck sweep on the stack's schedule, invoked the way EventBridge invokes it (asynchronously).
    const sweep = () => invoker.enqueue(scheduledEvent(stack.region, fn.arn));
    const sweepMs = options.sweepIntervalMs ?? (fn.sweepEveryMinutes ?? STUCK_SWEEP_MINUTES) * 60_000;
    const sweepTimer = setInterval(sweep, sweepMs);
    sweepTimer.unref();
    cleanup.push(() => clearInterval(sweepTimer));

    const lambda: LambdaApi = await startLambdaApi({
      functionName: fn.name,
      functionArn: fn.arn,
      port: options.lambdaPort,
      invokeAsync: (event) => invoker.enqueue(event),
      invokeSync: (event, requestId) => host.invoke(event, requestId),
    }).catch((error: Error) => { throw new RuntimeError(`the local Lambda API did not start: ${error.message}`); });
    cleanup.push(() => lambda.close());

    const base: ReadyRuntimeInfo = {
      state: 'ready',
      pid: process.pid,
      startedAt,
      dataDir,
      environment: fn.environment[FUNCTION_ENV.environment] ?? options.environment ?? 'dev',
      stack: stack.stackName,
      region: stack.region,
      s3Endpoint: servers.s3Endpoint,
      dynamodbEndpoint: servers.dynamodbEndpoint,
      lambdaEndpoint: lambda.endpoint,
      edgeUrl: edge.url,
      uploadBucket: stack.uploadBucket,
      outputBuckets: stack.outputBuckets,
      table: stack.table,
      functionName: fn.name,
      functionArn: fn.arn,
      failureQueueDir: failureQueueDir(dataDir),
      notificationsDir: notificationsDir(dataDir),
      outcomeTopicArn: fn.outcomeTopicArn,
      stuckAfterSeconds: Number(fn.environment[FUNCTION_ENV.stuckAfterSeconds]),
      logFile,
    };
    const info = options.consolePort === undefined ? base : { ...base, consoleUrl: await serveConsole(base, readFunctionConfig(functionEnvironment).preset, options.consolePort, cleanup) };
    writeRuntimeInfo(dataDir, info);
    const resumed = invoker.resume();

    let closing: Promise<void> | undefined;
    return {
      info,
      stack,
      behaviours: edge.behaviours,
      resumed,
      idle: () => invoker.idle(),
      faultStats: () => faults.injected(),
      sweep,
      close: () => (closing ??= unwind()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

function consolePortInUse(port: number): string {
  return `the console port ${port} is in use (another runtime or program?): choose another with --console-port or IMAGE_OPT_CONSOLE_PORT`;
}

/** Starts the console over the runtime's own endpoints; stopping the runtime stops it. */
async function serveConsole(info: ReadyRuntimeInfo, preset: VariantPreset, port: number, cleanup: Array<() => Promise<void> | void>): Promise<string> {
  const target = localTargetFor(info);
  cleanup.push(() => target.close());
  const console = await startConsole({ target, preset, port }).catch((error: Error) => {
    throw new RuntimeError(/in use/.test(error.message) ? consolePortInUse(port) : `the console did not start: ${error.message}`);
  });
  cleanup.push(() => console.close());
  return console.url;
}

/** The stack to run: the given file, or the app synthesized offline into `<data>/synth/`. */
function loadStack(options: RuntimeOptions, dataDir: string): LocalStack {
  let file = options.stackFile;
  if (!file) {
    try {
      file = synthesizeStack(options.environment ?? 'dev', path.join(dataDir, 'synth'), options.env ?? process.env);
    } catch (error) {
      const problems = (error as { problems?: readonly string[] }).problems;
      throw new RuntimeError(problems ? `invalid configuration: ${problems.join('; ')}` : `synthesis failed: ${(error as Error).message}`);
    }
  }
  if (!fs.existsSync(file)) {
    throw new RuntimeError(`no synthesized stack at ${file}${options.stackFile ? '' : `: is "${options.environment}" one of the environments in main.ts?`}`);
  }
  return readLocalStack(file);
}

/**
 * What S3 would send the function: one event per object created in the upload bucket whose key ends with a suffix
 * the bucket notification lists. Objects written to the output buckets never trigger anything.
 */
function routeUpload(event: S3Event, stack: LocalStack, invoker: AsyncInvoker, onActivity?: RuntimeOptions['onActivity']): void {
  for (const record of event.Records) {
    if (record.s3.bucket.name !== stack.uploadBucket) continue;
    const key = decodeS3Key(record.s3.object.key);
    const triggers = stack.uploadSuffixes.some((suffix) => key.endsWith(suffix));
    onActivity?.({ type: 'upload', bucket: stack.uploadBucket, key, bytes: record.s3.object.size, triggers });
    if (triggers) invoker.enqueue({ Records: [record] });
  }
}

interface Faults {
  /** Where the function reaches S3, DynamoDB and SNS: the fault proxies, or the servers themselves. */
  readonly endpoints: { readonly s3Endpoint: string; readonly dynamodbEndpoint: string; readonly snsEndpoint: string };
  stop(): void;
  injected(): number;
  close(): Promise<void>;
}

async function startFaults(
  servers: { s3Endpoint: string; dynamodbEndpoint: string; snsEndpoint: string },
  rules: readonly FaultRule[],
): Promise<Faults> {
  if (rules.length === 0) {
    return { endpoints: servers, stop: () => undefined, injected: () => 0, close: async () => undefined };
  }
  const s3 = await startFaultProxy({ target: servers.s3Endpoint, service: 's3', rules });
  const dynamodb = await startFaultProxy({ target: servers.dynamodbEndpoint, service: 'dynamodb', rules }).catch(async (error) => {
    await s3.close();
    throw error;
  });
  const sns = await startFaultProxy({ target: servers.snsEndpoint, service: 'sns', rules }).catch(async (error) => {
    await Promise.all([s3.close(), dynamodb.close()]);
    throw error;
  });
  const proxies = [s3, dynamodb, sns];
  return {
    endpoints: { s3Endpoint: s3.endpoint, dynamodbEndpoint: dynamodb.endpoint, snsEndpoint: sns.endpoint },
    stop: () => proxies.forEach((proxy) => proxy.setFaults([])),
    injected: () => proxies.reduce((sum, proxy) => sum + Object.values(proxy.stats().faults).reduce((a, b) => a + b, 0), 0),
    close: async () => {
      await Promise.all(proxies.map((proxy) => proxy.close()));
    },
  };
}

/** Fails fast, before anything starts, when a fixed port is taken. */
async function ensurePortFree(port: number, message: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new RuntimeError(message) : error));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
