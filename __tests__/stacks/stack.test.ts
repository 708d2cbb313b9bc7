import { OFFLINE_ACCOUNT_ID } from '../../lib/lambda-runtime';
import { Json, only, ref, resources, synthStack, testSettings } from '../support/synth';

/** The permission S3 invokes the processor with (the stuck sweep's schedule has its own). */
function s3InvokePermission(synth: Json): [string, Json] {
  const found = Object.entries(resources(synth, 'aws_lambda_permission')).filter(([, permission]) => permission.principal === 's3.amazonaws.com');
  expect(found).toHaveLength(1);
  return found[0];
}

describe('ImageOptimizationStack', () => {
  const dev = synthStack(testSettings('dev'));

  test('keeps its state in S3 under a key per suffix, encrypted, with S3-native locking', () => {
    expect(dev.terraform.backend).toEqual({
      s3: {
        bucket: 'acme-img-terraform-state',
        key: 'image-optimization/dev/terraform.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(synthStack(testSettings('pr3515')).terraform.backend.s3.key).toBe('image-optimization/pr3515/terraform.tfstate');
  });

  test('tags everything with the environment, project and tool', () => {
    const [provider] = dev.provider.aws as Json[];
    expect(provider.region).toBe('eu-west-1');
    expect(provider.default_tags).toEqual([{ tags: { Environment: 'dev', Project: 'image-optimization', ManagedBy: 'cdktf' } }]);
    expect(provider.skip_credentials_validation).toBeUndefined();
  });

  test('offline: local state and provider flags that need no credentials', () => {
    const offline = synthStack(testSettings('dev', undefined, { offline: true, accountId: undefined }));
    expect(offline.terraform.backend).toEqual({ local: { path: 'terraform.dev.tfstate' } });
    for (const provider of offline.provider.aws as Json[]) {
      expect(provider).toMatchObject({
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: 'true',
        skip_region_validation: true,
        max_retries: 1,
      });
    }
    expect(offline.data.aws_caller_identity).toBeUndefined();
    expect(s3InvokePermission(offline)[1].source_account).toBe(OFFLINE_ACCOUNT_ID);
  });

  test('looks up the account for the invoke permission when none is configured', () => {
    const online = synthStack(testSettings('dev', undefined, { accountId: undefined }));
    const [callerId] = Object.keys(online.data.aws_caller_identity);
    expect(s3InvokePermission(online)[1].source_account).toBe(`\${data.aws_caller_identity.${callerId}.account_id}`);
    expect(s3InvokePermission(dev)[1].source_account).toBe('123456789012');
  });

  test('names every resource <prefix>-<role>-<suffix>', () => {
    const bucketNames = Object.values(resources(dev, 'aws_s3_bucket')).map((b) => b.bucket).sort();
    expect(bucketNames).toEqual(['acme-img-avif-dev', 'acme-img-jpeg-dev', 'acme-img-png-dev', 'acme-img-uploads-dev', 'acme-img-webp-dev']);
    expect(only(dev, 'aws_dynamodb_table')[1].name).toBe('acme-img-metadata-dev');
    expect(only(dev, 'aws_lambda_function')[1].function_name).toBe('acme-img-processor-dev');
    expect(only(dev, 'aws_sqs_queue')[1].name).toBe('acme-img-failures-dev');
  });

  test('sets the processor\'s application log level from the environment\'s settings', () => {
    expect(only(dev, 'aws_lambda_function')[1].logging_config).toMatchObject({ log_format: 'JSON', application_log_level: 'INFO' });
    const verbose = synthStack(testSettings('dev', { processor: { logLevel: 'DEBUG' } }));
    expect(only(verbose, 'aws_lambda_function')[1].logging_config.application_log_level).toBe('DEBUG');
  });

  test('gives every bucket a public access block with all four flags', () => {
    const buckets = Object.keys(resources(dev, 'aws_s3_bucket'));
    const blocks = Object.values(resources(dev, 'aws_s3_bucket_public_access_block'));
    for (const bucketId of buckets) {
      const block = blocks.find((b) => b.bucket === ref('aws_s3_bucket', bucketId, 'id'));
      expect(block).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    }
  });

  test('puts the notification after the permission, both on the upload bucket and the processor', () => {
    const [permissionId, permission] = s3InvokePermission(dev);
    const [, notification] = only(dev, 'aws_s3_bucket_notification');
    const [functionId] = only(dev, 'aws_lambda_function');
    const [uploadId] = Object.entries(resources(dev, 'aws_s3_bucket')).find(([, b]) => b.bucket === 'acme-img-uploads-dev')!;
    expect(notification.depends_on).toEqual([`aws_lambda_permission.${permissionId}`]);
    expect(notification.bucket).toBe(ref('aws_s3_bucket', uploadId, 'id'));
    expect(permission.source_arn).toBe(ref('aws_s3_bucket', uploadId, 'arn'));
    expect(permission.function_name).toBe(ref('aws_lambda_function', functionId, 'function_name'));
    for (const target of notification.lambda_function) expect(target.lambda_function_arn).toBe(ref('aws_lambda_function', functionId, 'arn'));
  });

  test('lets the distribution alone read the optimized buckets', () => {
    const [distributionId] = only(dev, 'aws_cloudfront_distribution');
    const reads = Object.values(dev.data.aws_iam_policy_document as Record<string, Json>)
      .flatMap((d) => d.statement as Json[])
      .filter((s) => s.sid === 'AllowCloudFrontRead');
    expect(reads).toHaveLength(4);
    for (const read of reads) {
      expect(read.condition[0].values).toEqual([ref('aws_cloudfront_distribution', distributionId, 'arn')]);
    }
  });

  test('names no IAM action wildcard and no "*" resource but the X-Ray one AWS requires', () => {
    const allows = Object.values(dev.data.aws_iam_policy_document as Record<string, Json>)
      .flatMap((d) => d.statement as Json[])
      .filter((s) => (s.effect ?? 'Allow') === 'Allow');
    for (const statement of allows) {
      for (const action of statement.actions) expect(action).not.toContain('*');
      if ((statement.resources ?? []).includes('*')) expect(statement.actions.every((a: string) => a.startsWith('xray:'))).toBe(true);
    }
  });

  test('outputs everything a user and the command line need', () => {
    expect(Object.keys(dev.output).sort()).toEqual(
      [
        'alarm_topic_arn',
        'avif_bucket',
        'cloudfront_distribution',
        'cloudfront_distribution_id',
        'dashboard_url',
        'dynamodb_table',
        'failure_queue_arn',
        'failure_queue_url',
        'jpeg_bucket',
        'lambda_function',
        'lambda_function_arn',
        'outcome_topic_arn',
        'png_bucket',
        'upload_bucket',
        'webp_bucket',
      ].sort(),
    );
    const [distributionId] = only(dev, 'aws_cloudfront_distribution');
    expect(dev.output.cloudfront_distribution.value).toBe(ref('aws_cloudfront_distribution', distributionId, 'domain_name'));
    expect(dev.output.dashboard_url.value).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=acme-img-dashboard-dev',
    );
  });

  test('generates the edge function from the environment\'s own preset', () => {
    const code: string = only(dev, 'aws_cloudfront_function')[1].code;
    expect(code).toContain('"640":["avif","webp","jpeg"]');
    expect(code).not.toContain('"1920"');
    expect(only(synthStack(testSettings('prod')), 'aws_cloudfront_function')[1].code).toContain('"1920":["webp","jpeg"]');
  });

  test('gives prod deletion protection, reserved concurrency, all edge locations and the cache hit rate', () => {
    const prod = synthStack(testSettings('prod'));
    expect(only(prod, 'aws_dynamodb_table')[1].deletion_protection_enabled).toBe(true);
    expect(only(prod, 'aws_lambda_function')[1].reserved_concurrent_executions).toBe(50);
    expect(only(prod, 'aws_cloudfront_distribution')[1].price_class).toBe('PriceClass_All');
    expect(Object.keys(resources(prod, 'aws_cloudfront_monitoring_subscription'))).toHaveLength(1);
    expect(Object.values(resources(prod, 'aws_s3_bucket')).every((b) => b.force_destroy === false)).toBe(true);
    expect(Object.values(resources(dev, 'aws_s3_bucket')).every((b) => b.force_destroy === true)).toBe(true);
  });

  test('adds a us-east-1 provider for the CDN alarms only when the stack is elsewhere', () => {
    expect((dev.provider.aws as Json[]).map((p) => p.alias)).toEqual([undefined, 'us_east_1']);
    const east = synthStack(testSettings('dev', undefined, { region: 'us-east-1', stateRegion: 'us-east-1' }));
    expect((east.provider.aws as Json[]).map((p) => p.region)).toEqual(['us-east-1']);
  });
});
