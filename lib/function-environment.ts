/**
 * The processor function's configuration, passed as Lambda environment variables: the names are declared once here,
 * written by the processor construct and the local runtime, and read back by the function with `readFunctionConfig`.
 */
import { OUTPUT_FORMATS, OutputFormat } from './formats';
import { VariantPreset, presetProblems } from './variants';

export const FUNCTION_ENV = {
  table: 'METADATA_TABLE',
  outputBuckets: 'OUTPUT_BUCKETS',
  preset: 'VARIANT_PRESET',
  environment: 'ENVIRONMENT_SUFFIX',
  metricsNamespace: 'METRICS_NAMESPACE',
  outcomeTopicArn: 'OUTCOME_TOPIC_ARN',
  cdnUrl: 'CDN_URL',
  leaseSeconds: 'UPLOAD_LEASE_SECONDS',
  stuckAfterSeconds: 'STUCK_AFTER_SECONDS',
} as const;

export interface FunctionConfig {
  readonly table: string;
  readonly outputBuckets: Readonly<Record<OutputFormat, string>>;
  readonly preset: VariantPreset;
  readonly environment: string;
  readonly metricsNamespace: string;
  /** The SNS topic every upload's outcome is announced on (lib/outcomes.ts). */
  readonly outcomeTopicArn: string;
  /** The CDN's base URL (`https://d123.cloudfront.net`), for the URLs in the notifications. */
  readonly cdnUrl: string;
  /** How long a claim holds without renewal (lib/lease.ts). */
  readonly leaseSeconds: number;
  /** After how long an upload still PROCESSING counts as stuck (lib/lease.ts `stuckAfterSeconds`). */
  readonly stuckAfterSeconds: number;
}

/** The environment variables that carry a function configuration. */
export function functionEnvironment(config: FunctionConfig): Record<string, string> {
  return {
    [FUNCTION_ENV.table]: config.table,
    [FUNCTION_ENV.outputBuckets]: JSON.stringify(config.outputBuckets),
    [FUNCTION_ENV.preset]: JSON.stringify(config.preset),
    [FUNCTION_ENV.environment]: config.environment,
    [FUNCTION_ENV.metricsNamespace]: config.metricsNamespace,
    [FUNCTION_ENV.outcomeTopicArn]: config.outcomeTopicArn,
    [FUNCTION_ENV.cdnUrl]: config.cdnUrl,
    [FUNCTION_ENV.leaseSeconds]: String(config.leaseSeconds),
    [FUNCTION_ENV.stuckAfterSeconds]: String(config.stuckAfterSeconds),
  };
}

/** Reads the configuration back, failing with every missing or malformed variable named. */
export function readFunctionConfig(env: NodeJS.ProcessEnv): FunctionConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name} is not set`);
    return value ?? '';
  };
  const json = <T>(name: string): T | undefined => {
    const raw = required(name);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      problems.push(`${name} is not valid JSON`);
      return undefined;
    }
  };
  const table = required(FUNCTION_ENV.table);
  const environment = required(FUNCTION_ENV.environment);
  const metricsNamespace = required(FUNCTION_ENV.metricsNamespace);
  const outcomeTopicArn = required(FUNCTION_ENV.outcomeTopicArn);
  const cdnUrl = required(FUNCTION_ENV.cdnUrl).replace(/\/+$/, '');
  const seconds = (name: string): number => {
    const raw = required(name);
    const value = Number(raw);
    if (raw && !(Number.isInteger(value) && value > 0)) problems.push(`${name} is not a whole number of seconds above 0`);
    return value;
  };
  const leaseSeconds = seconds(FUNCTION_ENV.leaseSeconds);
  const stuckAfterSeconds = seconds(FUNCTION_ENV.stuckAfterSeconds);
  const outputBuckets = json<Record<OutputFormat, string>>(FUNCTION_ENV.outputBuckets);
  const preset = json<VariantPreset>(FUNCTION_ENV.preset);
  if (outputBuckets) {
    for (const format of OUTPUT_FORMATS) {
      if (typeof outputBuckets[format] !== 'string') problems.push(`${FUNCTION_ENV.outputBuckets} has no bucket for ${format}`);
    }
  }
  if (preset && (!Array.isArray(preset.variants) || typeof preset.encoders !== 'object' || preset.encoders === null)) {
    problems.push(`${FUNCTION_ENV.preset} is not a variant preset (no variants or encoders)`);
  } else if (preset) {
    problems.push(...presetProblems(preset).map((problem) => `${FUNCTION_ENV.preset}: ${problem}`));
  }
  if (problems.length > 0 || !outputBuckets || !preset) {
    throw new Error(`Invalid processor configuration: ${problems.join('; ')}`);
  }
  return { table, outputBuckets, preset, environment, metricsNamespace, outcomeTopicArn, cdnUrl, leaseSeconds, stuckAfterSeconds };
}
