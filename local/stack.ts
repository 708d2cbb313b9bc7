/**
 * What the local runtime takes from the synthesized stack: the same bucket, table and function names, the
 * function's memory, timeout, environment variables, log level and retry settings, the upload notification's key filters and
 * the region, all read from the Terraform JSON that `cdktf deploy` would apply, so the local pipeline cannot drift
 * from the deployed one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OUTPUT_FORMATS, OutputFormat } from '../lib/formats';
import { FUNCTION_ENV } from '../lib/function-environment';
import { OFFLINE_ACCOUNT_ID } from '../lib/lambda-runtime';
import { stackName } from '../lib/naming';
import { STACK_OUTPUTS, formatBucketOutput } from '../lib/stack-outputs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export interface LocalFunction {
  readonly name: string;
  readonly arn: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Retries of a failed asynchronous invocation (the event invoke config's maximum_retry_attempts). */
  readonly maxRetries: number;
  readonly maxEventAgeSeconds: number;
  /**
   * The function's environment variables, as deployed (lib/function-environment.ts), but for the CDN's URL, which
   * is only known after apply: the local runtime sets it to its edge's.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** The topic the function announces outcomes on (its OUTCOME_TOPIC_ARN). */
  readonly outcomeTopicArn: string;
  /** Minutes between stuck sweeps (the EventBridge schedule that invokes it). */
  readonly sweepEveryMinutes?: number;
  /**
   * The function's application log level when it logs JSON (its `logging_config`), which Lambda passes to the code.
   *
   * @default - none: the code's own default
   */
  readonly logLevel?: string;
}

export interface LocalStack {
  readonly stackName: string;
  /** The synthesized stack's cdk.tf.json. */
  readonly file: string;
  readonly json: Json;
  readonly region: string;
  readonly uploadBucket: string;
  readonly outputBuckets: Readonly<Record<OutputFormat, string>>;
  readonly table: string;
  readonly failureQueue: string;
  readonly processor: LocalFunction;
  /** Key suffixes that trigger the processor (the bucket notification's filters, every letter case). */
  readonly uploadSuffixes: readonly string[];
}

/**
 * Synthesizes the app offline (local backend, no AWS calls) into `outdir` and returns the path of one stack's
 * cdk.tf.json. Kept out of the project's cdktf.out, which holds what `cdktf deploy` and `terraform output` use.
 */
export function synthesizeStack(suffix: string, outdir: string, env: NodeJS.ProcessEnv = process.env): string {
  // Loaded here, not at the top: reading an existing stack needs none of CDKTF.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildApp } = require('../main') as typeof import('../main');
  buildApp({ ...env, IMAGE_OPT_OFFLINE: '1' }, outdir).synth();
  return stackFile(outdir, suffix);
}

export function stackFile(outdir: string, suffix: string): string {
  return path.join(outdir, 'stacks', stackName(suffix), 'cdk.tf.json');
}

/** Reads a synthesized stack; throws a message naming what is missing when it is not this project's stack. */
export function readLocalStack(file: string): LocalStack {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  const resolve = (value: unknown) => resolveReference(json, value);
  const single = (type: string): Json => {
    const found = Object.values(json.resource?.[type] ?? {}) as Json[];
    if (found.length !== 1) throw new Error(`${file}: expected one ${type} resource, found ${found.length}`);
    return found[0];
  };
  const outputs = json.output ?? {};
  const output = (name: string): string => {
    if (!outputs[name]) throw new Error(`${file}: no output ${name}`);
    return resolve(outputs[name].value);
  };

  const notification = single('aws_s3_bucket_notification');
  const targets = (notification.lambda_function ?? []) as Json[];
  if (targets.length === 0) throw new Error(`${file}: the upload bucket notification invokes no function`);
  const [functionType, functionId] = referenceParts(targets[0].lambda_function_arn) ?? [];
  const fn = json.resource?.[functionType ?? '']?.[functionId ?? ''] as Json | undefined;
  if (!fn) throw new Error(`${file}: cannot find the function the upload notification invokes`);
  const invokeConfig = (Object.values(json.resource?.aws_lambda_function_event_invoke_config ?? {}) as Json[])
    .find((config) => referenceParts(config.function_name)?.[1] === functionId);
  if (!invokeConfig) throw new Error(`${file}: the processor has no asynchronous invoke configuration`);

  const region = json.provider?.aws?.[0]?.region as string;
  const environment = { ...(fn.environment?.variables ?? {}) } as Record<string, string>;
  // The distribution's domain name comes from CloudFront at apply; locally the edge's URL stands in for it.
  if (typeof environment[FUNCTION_ENV.cdnUrl] === 'string' && environment[FUNCTION_ENV.cdnUrl].includes('${')) {
    delete environment[FUNCTION_ENV.cdnUrl];
  }
  for (const [name, value] of Object.entries(environment)) {
    if (typeof value !== 'string' || value.includes('${')) {
      throw new Error(`${file}: the function's ${name} is only known after apply (${value}); the local runtime needs literal values`);
    }
  }
  return {
    stackName: (json['//']?.metadata?.stackName as string | undefined) ?? path.basename(path.dirname(file)),
    file,
    json,
    region,
    uploadBucket: resolve(notification.bucket),
    outputBuckets: Object.fromEntries(OUTPUT_FORMATS.map((format) => [format, output(formatBucketOutput(format))])) as Record<OutputFormat, string>,
    table: output(STACK_OUTPUTS.table),
    failureQueue: resolve(single('aws_sqs_queue').name),
    processor: {
      name: fn.function_name,
      arn: `arn:aws:lambda:${region}:${OFFLINE_ACCOUNT_ID}:function:${fn.function_name}`,
      memoryMb: fn.memory_size,
      timeoutSeconds: fn.timeout,
      maxRetries: invokeConfig.maximum_retry_attempts,
      maxEventAgeSeconds: invokeConfig.maximum_event_age_in_seconds,
      environment,
      outcomeTopicArn: environment[FUNCTION_ENV.outcomeTopicArn] ?? '',
      sweepEveryMinutes: sweepMinutes(json, functionId ?? ''),
      logLevel: fn.logging_config?.log_format === 'JSON' ? fn.logging_config.application_log_level : undefined,
    },
    uploadSuffixes: targets
      .filter((target) => (target.events as string[]).some((event) => event.startsWith('s3:ObjectCreated:')))
      .map((target) => target.filter_suffix as string),
  };
}

/** The schedule's period in minutes when an EventBridge rule with `rate(N minutes)` targets the function. */
function sweepMinutes(json: Json, functionId: string): number | undefined {
  const target = (Object.values(json.resource?.aws_cloudwatch_event_target ?? {}) as Json[])
    .find((candidate) => referenceParts(candidate.arn)?.[1] === functionId);
  const ruleId = target ? referenceParts(target.rule)?.[1] : undefined;
  const rule = ruleId ? json.resource?.aws_cloudwatch_event_rule?.[ruleId] as Json | undefined : undefined;
  const match = /^rate\((\d+) minutes?\)$/.exec(String(rule?.schedule_expression ?? ''));
  return match ? Number(match[1]) : undefined;
}

function referenceParts(value: unknown): [string, string, string] | undefined {
  const match = typeof value === 'string' ? /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value) : null;
  return match ? [match[1], match[2], match[3]] : undefined;
}

/** The physical name behind a reference such as `${aws_s3_bucket.x.id}`, or the value itself when it is literal. */
function resolveReference(json: Json, value: unknown): string {
  const parts = referenceParts(value);
  if (!parts) {
    if (typeof value === 'string' && !value.includes('${')) return value;
    throw new Error(`Cannot resolve ${JSON.stringify(value)} in the synthesized stack`);
  }
  const [type, id] = parts;
  const resource = json.resource?.[type]?.[id] as Json | undefined;
  // The name attribute each type is addressed by (its id is that name for these types).
  const name = resource?.bucket ?? resource?.function_name ?? resource?.name;
  if (typeof name !== 'string') throw new Error(`Cannot resolve ${value as string}: the resource has no literal name`);
  return name;
}
