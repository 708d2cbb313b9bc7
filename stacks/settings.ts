/**
 * Per-environment settings: what each stack is built from, how they are resolved and how they are validated.
 *
 * Resolution order, everywhere: the environment's profile (in main.ts), then deployment options from environment
 * variables (prefix, region, state bucket...), then the defaults below. Every problem is collected and reported
 * at once, before a single resource is created.
 */
import { PROJECT, ResourceNames, bucketNameProblems, namesProblems, prefixProblems, resourceNames, suffixProblems } from '../lib/naming';
import { CLOUDFRONT_REGION, isKnownRegion } from '../lib/regions';
import { APPLICATION_LOG_LEVELS, ARCHITECTURES, ApplicationLogLevel, Architecture } from '../lib/lambda-runtime';
import { expected, integerProblems, oneOfProblems } from '../lib/problems';
import { DEFAULT_PRESET, PresetOverride, VariantPreset, overridePreset, presetProblems } from '../lib/variants';

export const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const;
export type PriceClass = (typeof PRICE_CLASSES)[number];

export interface ProcessorSettings {
  /** Lambda memory in MB; 1769 MB buys one full vCPU. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Concurrency reserved for (and capped at) this function.
   *
   * @default - unreserved: shares the account's pool
   */
  readonly reservedConcurrency?: number;
  readonly architecture: Architecture;
  /** Retries Lambda makes of a failed asynchronous invocation (0 to 2) before the event goes to the failure queue. */
  readonly maxRetries: number;
  /** Age in seconds after which an undelivered event goes to the failure queue (60 to 21600). */
  readonly maxEventAgeSeconds: number;
  /** Least severe of the function's own log lines that reach CloudWatch (Lambda's application log level). */
  readonly logLevel: ApplicationLogLevel;
}

export interface CdnSettings {
  readonly priceClass: PriceClass;
  /**
   * Custom domain names (CNAMEs) for the distribution; needs `certificateArn`.
   *
   * @default - the distribution's own cloudfront.net name only
   */
  readonly domainNames?: readonly string[];
  /** ACM certificate in us-east-1 covering `domainNames`. */
  readonly certificateArn?: string;
  /**
   * WAFv2 web ACL (scope CLOUDFRONT) to attach.
   *
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Existing bucket for CloudFront standard access logs (it must have ACLs enabled, as CloudFront requires).
   *
   * @default - no access logs
   */
  readonly accessLogsBucket?: string;
  /** CloudFront's additional metrics (cache hit rate, origin latency), billed per distribution. */
  readonly additionalMetrics: boolean;
  /** Origins allowed to read images with CORS, or `*`. */
  readonly corsAllowedOrigins: readonly string[];
}

export interface AlarmSettings {
  /**
   * Address subscribed to the alarm topic (the subscription must be confirmed from the email).
   *
   * @default - no subscription
   */
  readonly email?: string;
  /** FAILED images in 15 minutes that raise the alarm. */
  readonly failedImages: number;
  /** p99 processing time (ms) that raises the alarm. */
  readonly processingTimeP99Ms: number;
  /** Average CloudFront 5xx error rate (percent) over 10 minutes that raises the alarm. */
  readonly cdn5xxRatePercent: number;
  /** Average CloudFront 4xx error rate (percent) over 10 minutes that raises the alarm. */
  readonly cdn4xxRatePercent: number;
  /** Cache hit rate (percent) under which the alarm is raised; needs `cdn.additionalMetrics`. */
  readonly cacheHitRatePercent: number;
}

export interface OutcomeSettings {
  /**
   * Address subscribed to the outcome topic for failures only (a filter policy on `status`); it confirms the
   * subscription from the email first.
   *
   * @default - no subscription
   */
  readonly failureEmail?: string;
}

export interface UploadSettings {
  /** Days a replaced or deleted upload's old version is kept. */
  readonly noncurrentVersionDays: number;
  /** Days after which an unfinished multipart upload is aborted. */
  readonly abortMultipartDays: number;
  /** Origins allowed to upload from a browser (presigned PUT/POST), or `*`. */
  readonly corsAllowedOrigins: readonly string[];
}

export interface StateSettings {
  /** Local state and provider skip flags: for plan review and tests without AWS credentials. */
  readonly offline: boolean;
  readonly bucket: string;
  readonly region: string;
}

/** Everything one stack is built from. */
export interface EnvironmentSettings {
  readonly suffix: string;
  readonly region: string;
  readonly namePrefix: string;
  readonly names: ResourceNames;
  /**
   * Account that owns the upload bucket: scopes the S3 invoke permission.
   *
   * @default - the deploying credentials' account (looked up by Terraform)
   */
  readonly accountId?: string;
  readonly state: StateSettings;
  readonly processor: ProcessorSettings;
  readonly logRetentionDays: number;
  readonly failureQueueRetentionDays: number;
  readonly uploads: UploadSettings;
  /** Let `terraform destroy` empty and delete the buckets (previews, dev). */
  readonly forceDestroyBuckets: boolean;
  readonly tableDeletionProtection: boolean;
  readonly cdn: CdnSettings;
  readonly alarms: AlarmSettings;
  readonly outcomes: OutcomeSettings;
  readonly preset: VariantPreset;
  readonly tags: Readonly<Record<string, string>>;
}

/** What an environment in main.ts may set; everything left out comes from `BASE_PROFILE`. */
export interface EnvironmentProfile {
  readonly region?: string;
  readonly processor?: Partial<ProcessorSettings>;
  readonly logRetentionDays?: number;
  readonly failureQueueRetentionDays?: number;
  readonly uploads?: Partial<UploadSettings>;
  readonly forceDestroyBuckets?: boolean;
  readonly tableDeletionProtection?: boolean;
  readonly cdn?: Partial<CdnSettings>;
  readonly alarms?: Partial<AlarmSettings>;
  readonly outcomes?: Partial<OutcomeSettings>;
  readonly preset?: PresetOverride;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Deployment-wide options, read from environment variables by `deploymentFromEnv`. */
export interface DeploymentOptions {
  readonly namePrefix: string;
  readonly region: string;
  readonly stateBucket: string;
  readonly stateRegion: string;
  readonly offline: boolean;
  readonly alarmEmail?: string;
  readonly failureEmail?: string;
  readonly accountId?: string;
}

export const BASE_PROFILE = {
  processor: {
    memoryMb: 1536,
    timeoutSeconds: 90,
    architecture: 'arm64',
    maxRetries: 2,
    maxEventAgeSeconds: 6 * 3600,
    logLevel: 'INFO',
  },
  logRetentionDays: 30,
  failureQueueRetentionDays: 14,
  uploads: { noncurrentVersionDays: 30, abortMultipartDays: 7, corsAllowedOrigins: ['*'] },
  forceDestroyBuckets: false,
  tableDeletionProtection: false,
  cdn: { priceClass: 'PriceClass_100', additionalMetrics: false, corsAllowedOrigins: ['*'] },
  alarms: {
    failedImages: 10,
    processingTimeP99Ms: 30_000,
    cdn5xxRatePercent: 1,
    cdn4xxRatePercent: 15,
    cacheHitRatePercent: 80,
  },
} as const satisfies Omit<EnvironmentProfile, 'preset' | 'tags' | 'region'>;

export const DEFAULT_NAME_PREFIX = 'imgopt';
export const DEFAULT_REGION = 'us-east-1';

/** A configuration mistake: every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['', '0', 'false', 'no', 'off'];

/**
 * Reads the deployment options from environment variables:
 * `IMAGE_OPT_PREFIX`, `IMAGE_OPT_REGION` (else `AWS_REGION`, `AWS_DEFAULT_REGION`), `IMAGE_OPT_STATE_BUCKET`,
 * `IMAGE_OPT_STATE_REGION`, `IMAGE_OPT_OFFLINE`, `IMAGE_OPT_ALARM_EMAIL`, `IMAGE_OPT_FAILURE_EMAIL`, `IMAGE_OPT_ACCOUNT_ID`.
 */
export function deploymentFromEnv(env: NodeJS.ProcessEnv): DeploymentOptions {
  const namePrefix = env.IMAGE_OPT_PREFIX || DEFAULT_NAME_PREFIX;
  const region = env.IMAGE_OPT_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION;
  const offlineRaw = (env.IMAGE_OPT_OFFLINE ?? '').trim().toLowerCase();
  if (!TRUE.includes(offlineRaw) && !FALSE.includes(offlineRaw)) {
    throw new ConfigError([expected('IMAGE_OPT_OFFLINE', '1 or 0', env.IMAGE_OPT_OFFLINE)]);
  }
  return {
    namePrefix,
    region,
    stateBucket: env.IMAGE_OPT_STATE_BUCKET || `${namePrefix}-terraform-state`,
    stateRegion: env.IMAGE_OPT_STATE_REGION || region,
    offline: TRUE.includes(offlineRaw),
    alarmEmail: env.IMAGE_OPT_ALARM_EMAIL || undefined,
    failureEmail: env.IMAGE_OPT_FAILURE_EMAIL || undefined,
    accountId: env.IMAGE_OPT_ACCOUNT_ID || undefined,
  };
}

/** Builds one environment's settings from its profile and the deployment options, or throws every problem. */
export function resolveSettings(suffix: string, profile: EnvironmentProfile, deployment: DeploymentOptions): EnvironmentSettings {
  const settings = buildSettings(suffix, profile, deployment);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `${suffix}: ${problem}`));
  return settings;
}

/** One environment's settings, merged but not yet validated: check them with `settingsProblems`. */
export function buildSettings(suffix: string, profile: EnvironmentProfile, deployment: DeploymentOptions): EnvironmentSettings {
  const region = profile.region ?? deployment.region;
  return {
    suffix,
    region,
    namePrefix: deployment.namePrefix,
    names: resourceNames(deployment.namePrefix, suffix),
    accountId: deployment.accountId,
    state: { offline: deployment.offline, bucket: deployment.stateBucket, region: deployment.stateRegion },
    processor: { ...BASE_PROFILE.processor, ...profile.processor },
    logRetentionDays: profile.logRetentionDays ?? BASE_PROFILE.logRetentionDays,
    failureQueueRetentionDays: profile.failureQueueRetentionDays ?? BASE_PROFILE.failureQueueRetentionDays,
    uploads: { ...BASE_PROFILE.uploads, ...profile.uploads },
    forceDestroyBuckets: profile.forceDestroyBuckets ?? BASE_PROFILE.forceDestroyBuckets,
    tableDeletionProtection: profile.tableDeletionProtection ?? BASE_PROFILE.tableDeletionProtection,
    cdn: { ...BASE_PROFILE.cdn, ...profile.cdn },
    alarms: { ...BASE_PROFILE.alarms, email: deployment.alarmEmail, ...profile.alarms },
    outcomes: { failureEmail: deployment.failureEmail, ...profile.outcomes },
    preset: overridePreset(DEFAULT_PRESET, profile.preset),
    tags: { Environment: suffix, Project: PROJECT, ManagedBy: 'cdktf', ...profile.tags },
  };
}

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function originsProblems(what: string, origins: readonly string[]): string[] {
  if (origins.length === 0) return [`${what} is empty (use ["*"] to allow any origin)`];
  return origins
    .filter((origin) => origin !== '*' && !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(origin))
    .map((origin) => expected(`an origin in ${what}`, '* or a scheme and host like https://app.example.com', origin));
}

export function settingsProblems(s: EnvironmentSettings): string[] {
  const suffix = suffixProblems(s.suffix);
  const prefix = prefixProblems(s.namePrefix);
  const problems = [...suffix, ...prefix];
  // Names built from a bad suffix or prefix would only repeat the same complaint.
  if (suffix.length === 0 && prefix.length === 0) problems.push(...namesProblems(s.names));
  if (!isKnownRegion(s.region)) {
    problems.push(expected('AWS region', 'one of the regions in lib/regions.ts, such as us-east-1 or eu-west-1', s.region));
  }
  if (s.state.region !== s.region && !isKnownRegion(s.state.region)) {
    problems.push(expected('the state bucket\'s region', 'one of the regions in lib/regions.ts', s.state.region));
  }
  problems.push(...bucketNameProblems(s.state.bucket, 'state bucket name'));
  if (s.accountId !== undefined && !/^\d{12}$/.test(s.accountId)) {
    problems.push(expected('AWS account id', '12 digits', s.accountId));
  }

  const p = s.processor;
  problems.push(
    ...integerProblems('processor memoryMb', p.memoryMb, 128, 10240),
    ...integerProblems('processor timeoutSeconds', p.timeoutSeconds, 1, 900),
    // 0 would stop the function entirely; leave it unset for the account's shared pool.
    ...integerProblems('processor reservedConcurrency', p.reservedConcurrency, 1, 10000),
    ...integerProblems('processor maxRetries', p.maxRetries, 0, 2),
    ...integerProblems('processor maxEventAgeSeconds', p.maxEventAgeSeconds, 60, 21600),
    ...integerProblems('failureQueueRetentionDays', s.failureQueueRetentionDays, 1, 14),
    ...integerProblems('uploads noncurrentVersionDays', s.uploads.noncurrentVersionDays, 1, 3650),
    ...integerProblems('uploads abortMultipartDays', s.uploads.abortMultipartDays, 1, 365),
  );
  problems.push(
    ...oneOfProblems('processor architecture', p.architecture, ARCHITECTURES),
    ...oneOfProblems('processor logLevel', p.logLevel, APPLICATION_LOG_LEVELS),
    ...oneOfProblems('logRetentionDays', s.logRetentionDays, LOG_RETENTION_DAYS),
  );
  problems.push(...originsProblems('uploads corsAllowedOrigins', s.uploads.corsAllowedOrigins));
  problems.push(...originsProblems('cdn corsAllowedOrigins', s.cdn.corsAllowedOrigins));

  const cdn = s.cdn;
  problems.push(...oneOfProblems('cdn priceClass', cdn.priceClass, PRICE_CLASSES));
  const hasDomains = (cdn.domainNames?.length ?? 0) > 0;
  if (hasDomains !== (cdn.certificateArn !== undefined)) {
    problems.push('cdn domainNames and certificateArn go together: a custom domain needs an ACM certificate and a certificate needs a domain');
  }
  for (const domain of cdn.domainNames ?? []) {
    if (!/^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) {
      problems.push(expected('a domain name in cdn domainNames', 'a host name like img.example.com', domain));
    }
  }
  if (cdn.certificateArn !== undefined && !new RegExp(`^arn:aws:acm:${CLOUDFRONT_REGION}:\\d{12}:certificate/[0-9a-f-]{36}$`).test(cdn.certificateArn)) {
    problems.push(expected('cdn certificateArn', `an ACM certificate in ${CLOUDFRONT_REGION}, where CloudFront reads them, arn:aws:acm:${CLOUDFRONT_REGION}:<account>:certificate/<id>`, cdn.certificateArn));
  }
  if (cdn.webAclArn !== undefined && !new RegExp(`^arn:aws:wafv2:${CLOUDFRONT_REGION}:\\d{12}:global/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}$`).test(cdn.webAclArn)) {
    problems.push(expected('cdn webAclArn', `a WAFv2 web ACL with scope CLOUDFRONT, arn:aws:wafv2:${CLOUDFRONT_REGION}:<account>:global/webacl/<name>/<id>`, cdn.webAclArn));
  }
  if (cdn.accessLogsBucket !== undefined) problems.push(...bucketNameProblems(cdn.accessLogsBucket, 'access logs bucket name'));

  const a = s.alarms;
  for (const [what, email] of [['alarm email', a.email], ['failure email', s.outcomes.failureEmail]] as const) {
    if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(email)) problems.push(expected(what, 'an email address', email));
  }
  problems.push(
    ...integerProblems('alarms failedImages', a.failedImages, 1, 1_000_000),
    ...integerProblems('alarms processingTimeP99Ms', a.processingTimeP99Ms, 1, 900_000),
  );
  for (const [what, value] of [
    ['alarms cdn5xxRatePercent', a.cdn5xxRatePercent],
    ['alarms cdn4xxRatePercent', a.cdn4xxRatePercent],
    ['alarms cacheHitRatePercent', a.cacheHitRatePercent],
  ] as const) {
    if (!(value > 0 && value <= 100)) problems.push(expected(what, 'a percentage above 0 and at most 100', value));
  }
  problems.push(...presetProblems(s.preset));
  return problems;
}
