import { environmentSettings } from '../../main';
import { ConfigError, DEFAULT_NAME_PREFIX, deploymentFromEnv } from '../../stacks/settings';
import { testSettings } from '../support/synth';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('deployment options', () => {
  test('default to the imgopt prefix, us-east-1 and a state bucket named after the prefix', () => {
    const options = deploymentFromEnv({});
    expect(options).toMatchObject({
      namePrefix: DEFAULT_NAME_PREFIX,
      region: 'us-east-1',
      stateBucket: `${DEFAULT_NAME_PREFIX}-terraform-state`,
      stateRegion: 'us-east-1',
      offline: false,
    });
  });

  test('read the environment variables, IMAGE_OPT_REGION before AWS_REGION', () => {
    const options = deploymentFromEnv({
      IMAGE_OPT_PREFIX: 'acme',
      IMAGE_OPT_REGION: 'eu-west-1',
      AWS_REGION: 'us-west-2',
      IMAGE_OPT_STATE_BUCKET: 'acme-state',
      IMAGE_OPT_STATE_REGION: 'eu-central-1',
      IMAGE_OPT_OFFLINE: 'true',
      IMAGE_OPT_ALARM_EMAIL: 'ops@example.com',
    });
    expect(options).toMatchObject({
      namePrefix: 'acme',
      region: 'eu-west-1',
      stateBucket: 'acme-state',
      stateRegion: 'eu-central-1',
      offline: true,
      alarmEmail: 'ops@example.com',
    });
    expect(deploymentFromEnv({ AWS_REGION: 'us-west-2' }).region).toBe('us-west-2');
  });

  test('fails an IMAGE_OPT_OFFLINE that is neither on nor off', () => {
    expect(problemsOf(() => deploymentFromEnv({ IMAGE_OPT_OFFLINE: 'maybe' }))).toEqual([
      'Expected 1 or 0 for IMAGE_OPT_OFFLINE but received "maybe"',
    ]);
  });
});

describe('environments', () => {
  test('dev, staging and prod are always there; IMAGE_OPT_PREVIEW_SUFFIX adds a preview', () => {
    expect(environmentSettings({}).map((s) => s.suffix)).toEqual(['dev', 'staging', 'prod']);
    const withPreview = environmentSettings({ IMAGE_OPT_PREVIEW_SUFFIX: 'pr3515' });
    expect(withPreview.map((s) => s.suffix)).toEqual(['dev', 'staging', 'prod', 'pr3515']);
    const preview = withPreview[3];
    expect(preview.logRetentionDays).toBe(7);
    expect(preview.forceDestroyBuckets).toBe(true);
    expect(preview.tags).toMatchObject({ Environment: 'pr3515', Preview: 'true', Project: 'image-optimization', ManagedBy: 'cdktf' });
    expect(environmentSettings({ IMAGE_OPT_PREVIEW_SUFFIX: 'prod' }).map((s) => s.suffix)).toEqual(['dev', 'staging', 'prod']);
  });

  test('carry per-environment settings', () => {
    const [dev, staging, prod] = environmentSettings({});
    expect(dev.processor.memoryMb).toBeLessThan(prod.processor.memoryMb);
    expect(dev.forceDestroyBuckets).toBe(true);
    expect(staging.forceDestroyBuckets).toBe(false);
    expect(prod.tableDeletionProtection).toBe(true);
    expect(prod.processor.reservedConcurrency).toBe(50);
    expect(prod.cdn.priceClass).toBe('PriceClass_All');
    expect(dev.preset.variants.map((v) => v.name)).toEqual(['thumb', '640', '1280', 'full']);
    expect(prod.preset.variants.map((v) => v.name)).toEqual(['thumb', '320', '640', '1280', '1920', 'full']);
    expect([dev, staging, prod].map((s) => s.processor.logLevel)).toEqual(['INFO', 'INFO', 'INFO']);
  });

  test('fails a log level Lambda does not have, naming the ones it has', () => {
    for (const logLevel of ['VERBOSE', 'info', 'CRITICAL']) {
      expect(problemsOf(() => testSettings('dev', { processor: { logLevel: logLevel as 'INFO' } }))).toEqual([
        `dev: Expected one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL for processor logLevel but received "${logLevel}"`,
      ]);
    }
  });

  test('fails a bad preview suffix with one clear line', () => {
    expect(problemsOf(() => environmentSettings({ IMAGE_OPT_PREVIEW_SUFFIX: 'PR_12' }))).toEqual([
      expect.stringMatching(/^PR_12: Expected lower-case letters.* for environment suffix but received "PR_12"/),
    ]);
  });

  test('fails bucket names that would be too long, naming the bucket', () => {
    const problems = problemsOf(() => environmentSettings({ IMAGE_OPT_PREFIX: 'a'.repeat(40), IMAGE_OPT_PREVIEW_SUFFIX: 'x'.repeat(20) }));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^x{20}: Expected 3 to 63 characters for S3 bucket name but received "a{40}-uploads-x{20}" \(69 characters\)/)]),
    );
    expect(problems.some((p) => p.startsWith('dev:'))).toBe(false);
  });

  test('fails an unknown region once, not once per environment', () => {
    const problems = problemsOf(() => environmentSettings({ IMAGE_OPT_REGION: 'us-east-9' }));
    expect(problems).toEqual([
      'Expected one of the regions in lib/regions.ts, such as us-east-1 or eu-west-1 for AWS region but received "us-east-9"',
    ]);
  });

  test('reports every problem of an environment together', () => {
    const problems = problemsOf(() =>
      testSettings('dev', {
        processor: { memoryMb: 64, timeoutSeconds: 901, maxRetries: 3, reservedConcurrency: 0 },
        logRetentionDays: 10,
        cdn: { domainNames: ['img.example.com'], corsAllowedOrigins: ['example.com'] },
        alarms: { email: 'not-an-email' },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'dev: Expected an integer from 128 to 10240 for processor memoryMb but received 64',
        'dev: Expected an integer from 1 to 900 for processor timeoutSeconds but received 901',
        'dev: Expected an integer from 0 to 2 for processor maxRetries but received 3',
        'dev: Expected an integer from 1 to 10000 for processor reservedConcurrency but received 0',
        expect.stringMatching(/^dev: Expected one of 1, 3, 5, .* for logRetentionDays but received 10$/),
        expect.stringMatching(/^dev: cdn domainNames and certificateArn go together/),
        expect.stringMatching(/^dev: Expected \* or a scheme and host .* for an origin in cdn corsAllowedOrigins but received "example.com"/),
        'dev: Expected an email address for alarm email but received "not-an-email"',
      ]),
    );
  });

  test('fails a certificate outside us-east-1', () => {
    const problems = problemsOf(() =>
      testSettings('prod', {
        cdn: {
          domainNames: ['img.example.com'],
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f8e2a4c-1111-2222-3333-444455556666',
        },
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/^prod: Expected an ACM certificate in us-east-1, where CloudFront reads them, .* for cdn certificateArn but received "arn:aws:acm:eu-west-1:/)]);
  });
});
