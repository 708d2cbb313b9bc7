/**
 * `npm start`: runs the whole pipeline locally (local/runtime.ts), prints what runs where and then what happens
 * (uploads, invocations, retries, failures, CDN requests), and stops cleanly on Ctrl-C or SIGTERM. Its options and
 * their environment variables are in USAGE below and in docs/local-runtime.md.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { S3Event } from 'aws-lambda';
import { formatBytes } from '../cli/format';
import { decodeS3Key } from '../functions/processor/event';
import { envName, envSetting } from '../lib/env';
import { FUNCTION_ENV } from '../lib/function-environment';
import { expected } from '../lib/problems';
import { DEFAULT_CONSOLE_PORT } from './console/server';
import { LOCAL_CREDENTIALS } from './servers';
import { DEFAULT_EDGE_PORT, DEFAULT_RETRY_DELAY_MS, Runtime, RuntimeActivity, RuntimeError, startRuntime } from './runtime';

const USAGE = `Usage: npm start -- [options]

Runs the image pipeline on this machine: S3 and DynamoDB servers, the processor, a local CDN edge, and the console.

Options (environment variable in brackets):
  --data-dir <dir>      data folder [IMAGE_OPT_DATA_DIR] (default: .local-data/ in the project)
  --port <n>            local CDN edge port [IMAGE_OPT_PORT] (default: ${DEFAULT_EDGE_PORT}; 0 = any free port)
  --console-port <n>    console (web page) port [IMAGE_OPT_CONSOLE_PORT] (default: ${DEFAULT_CONSOLE_PORT}; 0 = any free port)
  --s3-port <n>         S3 server port [IMAGE_OPT_S3_PORT] (default: any free port)
  --dynamodb-port <n>   DynamoDB server port [IMAGE_OPT_DYNAMODB_PORT] (default: any free port)
  --lambda-port <n>     Lambda Invoke API port [IMAGE_OPT_LAMBDA_PORT] (default: any free port)
  --concurrency <n>     invocations at once [IMAGE_OPT_CONCURRENCY] (default: 2)
  --retry-delay <ms>    wait before the first retry [IMAGE_OPT_RETRY_DELAY_MS] (default: 60000 as on Lambda, doubled per retry)
  --lease <s>           how long an attempt's claim holds without renewal [IMAGE_OPT_LEASE_SECONDS] (default: the stack's 30);
                        keep it under the retry delay, so a retry after a crash takes the upload over
  --notify-url <url>    also POST every outcome notification there, as SNS does to an HTTP subscriber [IMAGE_OPT_NOTIFY_URL]
  --logs                also print the function's log lines [IMAGE_OPT_LOGS=1]
  -h, --help            this help
`;

class UsageError extends Error {}

interface StartOptions {
  readonly dataDir?: string;
  readonly port: number;
  readonly consolePort: number;
  readonly s3Port?: number;
  readonly dynamodbPort?: number;
  readonly lambdaPort?: number;
  readonly concurrency: number;
  readonly retryDelayMs: number;
  readonly leaseSeconds?: number;
  readonly notifyUrl?: string;
  readonly logs: boolean;
}

function readOptions(argv: string[], env: NodeJS.ProcessEnv): StartOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        'console-port': { type: 'string' },
        's3-port': { type: 'string' },
        'dynamodb-port': { type: 'string' },
        'lambda-port': { type: 'string' },
        concurrency: { type: 'string' },
        'retry-delay': { type: 'string' },
        lease: { type: 'string' },
        'notify-url': { type: 'string' },
        logs: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0].replace(/\. To specify.*$/, '')} (see npm start -- --help)`);
  }
  if (values.help) return 'help';
  const number = (option: string, variable: string, min: number, max: number): number | undefined => {
    const raw = (values as Record<string, string | undefined>)[option] ?? envSetting(env, variable);
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(expected(`--${option} (or ${envName(variable)})`, `a whole number from ${min} to ${max}`, raw));
    }
    return value;
  };
  return {
    dataDir: values['data-dir'],
    port: number('port', 'PORT', 0, 65535) ?? DEFAULT_EDGE_PORT,
    consolePort: number('console-port', 'CONSOLE_PORT', 0, 65535) ?? DEFAULT_CONSOLE_PORT,
    s3Port: number('s3-port', 'S3_PORT', 0, 65535),
    dynamodbPort: number('dynamodb-port', 'DYNAMODB_PORT', 0, 65535),
    lambdaPort: number('lambda-port', 'LAMBDA_PORT', 0, 65535),
    concurrency: number('concurrency', 'CONCURRENCY', 1, 64) ?? 2,
    retryDelayMs: number('retry-delay', 'RETRY_DELAY_MS', 0, 600_000) ?? DEFAULT_RETRY_DELAY_MS,
    leaseSeconds: number('lease', 'LEASE_SECONDS', 1, 900),
    notifyUrl: notifyUrl(values['notify-url'] ?? envSetting(env, 'NOTIFY_URL')),
    logs: values.logs ?? ['1', 'true', 'yes'].includes((envSetting(env, 'LOGS') ?? '').toLowerCase()),
  };
}

function notifyUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new UsageError(expected(`--notify-url (or ${envName('NOTIFY_URL')})`, 'an http:// or https:// URL', raw));
  }
  return url.toString();
}

/** A folder shown relative to where the user is, when it is below it. */
function shown(folder: string): string {
  const relative = path.relative(process.cwd(), folder);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : folder;
}

function time(): string {
  return new Date().toTimeString().slice(0, 8);
}

function keysOf(event: unknown): string {
  const records = (event as Partial<S3Event> | undefined)?.Records;
  if (!Array.isArray(records)) return 'event';
  return records.map((record) => {
    try {
      return decodeS3Key(record.s3.object.key);
    } catch {
      return record.s3?.object?.key ?? '?';
    }
  }).join(', ');
}

interface ReportResult {
  readonly image_id: string;
  readonly key: string;
  readonly outcome: string;
  readonly reason?: string;
}

function describe(activity: RuntimeActivity): string | undefined {
  switch (activity.type) {
    case 'upload':
      return activity.triggers
        ? `upload    ${activity.key} (${formatBytes(activity.bytes)})`
        : `upload    ${activity.key} (${formatBytes(activity.bytes)}): not an image suffix the notification lists, nothing runs`;
    case 'started':
      return activity.attempt > 1 ? `retry     ${keysOf(activity.event)}: attempt ${activity.attempt} of ${activity.attempts}` : undefined;
    case 'succeeded': {
      const sweep = activity.payload as { stuck?: number; stuck_image_ids?: string[]; announced?: number } | null;
      if (typeof sweep?.stuck === 'number') {
        // The stuck sweep every few minutes: a line only when it found something.
        if (sweep.stuck === 0 && !sweep.announced) return undefined;
        return `sweep     ${sweep.stuck} upload(s) stuck in PROCESSING${sweep.stuck ? ` (${(sweep.stuck_image_ids ?? []).join(', ')}: npx imgopt replay <image_id>)` : ''}`
          + `, ${sweep.announced ?? 0} unannounced outcome(s) announced`;
      }
      const results = (activity.payload as { results?: ReportResult[] } | null)?.results;
      const seconds = `${(activity.durationMs / 1000).toFixed(2)} s`;
      if (!Array.isArray(results)) return `done      ${keysOf(activity.event)} in ${seconds}`;
      return results
        .map((result) => `${result.outcome.padEnd(9)} ${result.key}  image ${result.image_id}${result.reason ? `  ${result.reason}` : ''}  (${seconds})`)
        .join('\n          ');
    }
    case 'retrying':
      return `error     ${keysOf(activity.event)}: ${activity.error.errorType ?? 'Error'}: ${activity.error.errorMessage} `
        + `(attempt ${activity.attempt} of ${activity.attempts}, retrying in ${(activity.delayMs / 1000).toFixed(1)} s)`;
    case 'failed':
      return `failed    ${keysOf(activity.event)}: ${activity.error.errorType ?? 'Error'}: ${activity.error.errorMessage}\n`
        + `          ${activity.condition === 'RetriesExhausted' ? `gave up after ${activity.attempts} attempts` : 'the event is too old'}`
        + ` → failure queue ${shown(activity.file)} (re-drive with: npx imgopt replay)`;
    case 'notification': {
      return `announced ${activity.notification.Subject ?? activity.notification.MessageId} (notification ${activity.notification.MessageId.slice(0, 8)})`;
    }
    case 'delivery-problem':
      return `notify    ${activity.text}`;
    case 'edge': {
      const e = activity.entry;
      const from = e.source === 'origin' ? `${e.origin}:${e.key}` : e.source;
      return `${e.method.padEnd(9)} ${e.url} → ${e.status} (${from}${e.error ? `: ${e.error}` : ''}, ${e.durationMs} ms)`;
    }
  }
}

function banner(runtime: Runtime, options: StartOptions): string {
  const { info, stack } = runtime;
  const fn = stack.processor;
  const extensions = [...new Set(stack.uploadSuffixes.map((suffix) => suffix.toLowerCase()))].join(' ');
  const routes = runtime.behaviours.map((behaviour) => {
    const via = behaviour.viewerRequestFunction ? ` (function ${behaviour.viewerRequestFunction} picks the format)` : '';
    return `${behaviour.pathPattern} → ${behaviour.bucket}${via}`;
  });
  const retries = `${fn.maxRetries} ${fn.maxRetries === 1 ? 'retry' : 'retries'}`;
  const data = shown(info.dataDir);
  return [
    `Image optimization pipeline, running locally from the synthesized ${stack.stackName} stack`,
    '',
    `  S3 (uploads, variants)  ${info.s3Endpoint}   access key ${LOCAL_CREDENTIALS.accessKeyId}, secret ${LOCAL_CREDENTIALS.secretAccessKey}, path-style`,
    `  DynamoDB (metadata)     ${info.dynamodbEndpoint}`,
    `  Lambda Invoke API       ${info.lambdaEndpoint}   ${fn.name}: ${fn.memoryMb} MB, ${fn.timeoutSeconds} s timeout, ${retries}`,
    `  CDN (local edge)        ${info.edgeUrl}`,
    `  Console (web page)      ${info.consoleUrl}   uploads, renditions, failures, markup`,
    '',
    `  upload bucket   ${stack.uploadBucket}  (${extensions} in any letter case run the processor)`,
    `  output buckets  ${Object.values(stack.outputBuckets).join(', ')}`,
    `  metadata table  ${stack.table}`,
    `  CDN routes      ${routes.join('\n                  ')}`,
    `  failure queue   ${shown(info.failureQueueDir)}${path.sep}  (re-drive with: npx imgopt replay)`,
    `  notifications   ${shown(info.notificationsDir)}${path.sep}  (one JSON file per outcome${options.notifyUrl ? `, also POSTed to ${options.notifyUrl}` : ''})`,
    `  function log    ${shown(info.logFile)}`,
    `  data folder     ${data}${path.sep}  (stop, then delete it to start over)`,
    ...(runtime.resumed > 0 ? ['', `Resuming ${runtime.resumed} event(s) left unfinished by the last run.`] : []),
    '',
    `Open the console: ${info.consoleUrl}  (or drop images on it)`,
    'Upload images:   npx imgopt upload <files or folders...>',
    'Then:            npx imgopt status <image_id>, npx imgopt fetch <image_id>, npx imgopt report',
    'Stop:            Ctrl-C',
    '',
    'Ready. The CDN is at:',
    info.edgeUrl,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let options: StartOptions | 'help';
  try {
    options = readOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`npm start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }

  let stopping = false;
  // A Ctrl-C while starting stops as soon as the start finishes (or fails).
  const early = () => { stopping = true; };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);

  let runtime: Runtime;
  try {
    runtime = await startRuntime({
      dataDir: options.dataDir,
      port: options.port,
      consolePort: options.consolePort,
      s3Port: options.s3Port,
      dynamodbPort: options.dynamodbPort,
      lambdaPort: options.lambdaPort,
      concurrency: options.concurrency,
      retryDelayMs: options.retryDelayMs,
      leaseSeconds: options.leaseSeconds,
      notifyUrl: options.notifyUrl,
      onFunctionOutput: options.logs ? (text) => process.stdout.write(text.replace(/^(?=.)/gm, '          │ ')) : undefined,
      onActivity: (activity) => {
        const line = describe(activity);
        if (line) process.stdout.write(`${time()}  ${line}\n`);
      },
    });
  } catch (error) {
    process.stderr.write(`npm start: ${error instanceof RuntimeError ? error.message : (error as Error).message}\n`);
    if (!(error instanceof RuntimeError) && envSetting(process.env, 'DEBUG')) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  }
  process.off('SIGINT', early);
  process.off('SIGTERM', early);

  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write('Stopping now.\n');
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping (running invocations may finish; Ctrl-C again to stop now)\n`);
    await runtime.close();
    process.stdout.write('Stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (stopping) {
    stopping = false;
    await stop('SIGINT');
    return;
  }
  process.stdout.write(banner(runtime, options));
  const leaseSeconds = options.leaseSeconds ?? Number(runtime.stack.processor.environment[FUNCTION_ENV.leaseSeconds]);
  if (options.retryDelayMs <= leaseSeconds * 1000) {
    process.stdout.write(`Note: the retry delay (${options.retryDelayMs} ms) is not longer than the lease (${leaseSeconds} s): `
      + 'after a crash, retries may find the dead attempt\'s claim still valid and end on the failure queue.\n');
  }
}

void main();
