/**
 * Resource naming: every physical name is `<prefix>-<role>-<suffix>`, decided here and nowhere else.
 *
 * The prefix makes bucket names globally unique per organisation; the suffix is the environment (dev, staging,
 * prod) or a preview (pr3515). Names are validated at synth time so a bad suffix fails before Terraform runs.
 */
import { OUTPUT_FORMATS, OutputFormat } from './formats';
import { expected } from './problems';

/** The project's name: stack names and tags start with it. */
export const PROJECT = 'image-optimization';

export function stackName(suffix: string): string {
  return `${PROJECT}-${suffix}`;
}

/** Key of a stack's Terraform state inside the state bucket. */
export function stateKey(suffix: string): string {
  return `${PROJECT}/${suffix}/terraform.tfstate`;
}

/** An SNS topic's ARN, from its name: known before the topic exists. */
export function snsTopicArn(region: string, accountId: string, topicName: string): string {
  return `arn:aws:sns:${region}:${accountId}:${topicName}`;
}

export interface ResourceNames {
  readonly uploadBucket: string;
  readonly outputBuckets: Readonly<Record<OutputFormat, string>>;
  readonly table: string;
  readonly processorFunction: string;
  readonly processorRole: string;
  readonly processorLogGroup: string;
  readonly failureQueue: string;
  /** Topic every upload's outcome is announced on (lib/outcomes.ts). */
  readonly outcomeTopic: string;
  /** EventBridge rule that runs the stuck sweep. */
  readonly sweepSchedule: string;
  readonly alarmTopic: string;
  /** Topic for the CDN alarms, which live in us-east-1 with CloudFront's metrics. */
  readonly edgeAlarmTopic: string;
  readonly dashboard: string;
  readonly edgeFunction: string;
  readonly cachePolicy: string;
  readonly responseHeadersPolicy: string;
  /** Headers of the negotiated URLs: the same as `responseHeadersPolicy`, plus `Vary: Accept`. */
  readonly negotiatedHeadersPolicy: string;
  readonly originAccessControl: string;
  /** Prefix of every alarm name. */
  readonly alarmPrefix: string;
}

export function resourceNames(prefix: string, suffix: string): ResourceNames {
  const name = (role: string) => `${prefix}-${role}-${suffix}`;
  const processorFunction = name('processor');
  return {
    uploadBucket: name('uploads'),
    outputBuckets: Object.fromEntries(OUTPUT_FORMATS.map((format) => [format, name(format)])) as Record<OutputFormat, string>,
    table: name('metadata'),
    processorFunction,
    processorRole: processorFunction,
    processorLogGroup: `/aws/lambda/${processorFunction}`,
    failureQueue: name('failures'),
    outcomeTopic: name('outcomes'),
    sweepSchedule: name('stuck-sweep'),
    alarmTopic: name('alarms'),
    edgeAlarmTopic: name('edge-alarms'),
    dashboard: name('dashboard'),
    edgeFunction: name('negotiate'),
    cachePolicy: name('images'),
    responseHeadersPolicy: name('images'),
    negotiatedHeadersPolicy: name('negotiated'),
    originAccessControl: name('oac'),
    alarmPrefix: `${prefix}-${suffix}`,
  };
}

const SUFFIX = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const PREFIX = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;
export const MAX_SUFFIX_LENGTH = 20;
/** Long enough for an organisation's naming scheme; the bucket names built from it are checked separately. */
export const MAX_PREFIX_LENGTH = 40;

export function suffixProblems(suffix: string): string[] {
  return labelProblems('environment suffix', suffix, SUFFIX, 'starting and ending with a letter or digit', MAX_SUFFIX_LENGTH);
}

export function prefixProblems(prefix: string): string[] {
  return labelProblems('name prefix', prefix, PREFIX, 'starting with a letter and ending with a letter or digit', MAX_PREFIX_LENGTH);
}

/** A part of every resource name: lower-case letters, digits and single hyphens, within a length. */
function labelProblems(parameter: string, value: string, pattern: RegExp, ends: string, maxLength: number): string[] {
  if (!pattern.test(value) || value.includes('--')) {
    return [expected(parameter, `lower-case letters, digits and single hyphens, ${ends}`, value)];
  }
  if (value.length > maxLength) return [expected(parameter, `at most ${maxLength} characters`, value, `${value.length} characters`)];
  return [];
}

/**
 * The S3 general-purpose bucket naming rules, stricter on one point: no dots, because transfer acceleration and
 * virtual-hosted TLS both break on dotted names.
 */
export function bucketNameProblems(name: string, what = 'bucket name'): string[] {
  const problems: string[] = [];
  const parameter = `S3 ${what}`;
  if (name.length < 3 || name.length > 63) {
    problems.push(expected(parameter, '3 to 63 characters', name, `${name.length} characters`));
  }
  if (!/^[a-z0-9-]*$/.test(name)) problems.push(expected(parameter, 'only lower-case letters, digits and hyphens', name));
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    problems.push(expected(parameter, 'a lower-case letter or a digit first and last', name));
  }
  for (const reserved of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (name.startsWith(reserved)) problems.push(expected(parameter, `no reserved prefix ${reserved}`, name));
  }
  for (const reserved of ['-s3alias', '--ol-s3', '--x-s3', '--table-s3']) {
    if (name.endsWith(reserved)) problems.push(expected(parameter, `no reserved suffix ${reserved}`, name));
  }
  return problems;
}

/** Lengths AWS allows for the other named resources. */
const NAME_LIMITS: ReadonlyArray<[keyof ResourceNames, number, string]> = [
  ['processorFunction', 64, 'Lambda function name'],
  ['processorRole', 64, 'IAM role name'],
  ['failureQueue', 80, 'SQS queue name'],
  ['alarmTopic', 256, 'SNS topic name'],
  ['edgeFunction', 64, 'CloudFront function name'],
  ['table', 255, 'DynamoDB table name'],
];

/** Every problem with the names a prefix and suffix produce. */
export function namesProblems(names: ResourceNames): string[] {
  const problems = [names.uploadBucket, ...Object.values(names.outputBuckets)].flatMap((bucket) => bucketNameProblems(bucket));
  for (const [key, limit, what] of NAME_LIMITS) {
    const value = names[key] as string;
    if (value.length > limit) problems.push(expected(what, `at most ${limit} characters`, value, `${value.length} characters`));
  }
  return problems;
}
