import { bundleProcessor } from '../../packaging/bundle';
import { ProcessorFunction } from '../../constructs/processor-function';
import { LAMBDA_RUNTIME } from '../../lib/lambda-runtime';
import { FUNCTION_ENV, readFunctionConfig } from '../../lib/function-environment';
import { DEFAULT_PRESET } from '../../lib/variants';
import { Json, only, ref, synthScope } from '../support/synth';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:a-outcomes-dev';
const buckets = { avif: 'a-avif-dev', webp: 'a-webp-dev', jpeg: 'a-jpeg-dev', png: 'a-png-dev' };

function synthProcessor(overrides: Partial<ConstructorParameters<typeof ProcessorFunction>[2]> = {}): Json {
  return synthScope(
    (scope) =>
      new ProcessorFunction(scope, 'processor', {
        functionName: 'a-processor-dev',
        roleName: 'a-processor-dev',
        logGroupName: '/aws/lambda/a-processor-dev',
        failureQueueName: 'a-failures-dev',
        sweepScheduleName: 'a-stuck-sweep-dev',
        code: bundleProcessor({ architecture: 'arm64' }),
        config: {
          table: 'a-metadata-dev',
          outputBuckets: buckets,
          preset: DEFAULT_PRESET,
          environment: 'dev',
          metricsNamespace: 'ImageOptimization',
          outcomeTopicArn: TOPIC_ARN,
          cdnUrl: 'https://d111111abcdef8.cloudfront.net',
          leaseSeconds: 30,
          stuckAfterSeconds: 390,
        },
        uploadBucketArn: 'arn:aws:s3:::a-uploads-dev',
        outputBucketArns: Object.values(buckets).map((b) => `arn:aws:s3:::${b}`),
        tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/a-metadata-dev',
        memoryMb: 1536,
        timeoutSeconds: 90,
        maxRetries: 2,
        maxEventAgeSeconds: 3600,
        logRetentionDays: 30,
        failureQueueRetentionDays: 14,
        ...overrides,
      }),
  );
}

describe('ProcessorFunction', () => {
  const synth = synthProcessor();
  const [functionId, fn] = only(synth, 'aws_lambda_function');
  const [logGroupId, logGroup] = only(synth, 'aws_cloudwatch_log_group');
  const [queueId, queue] = only(synth, 'aws_sqs_queue');
  const bundle = bundleProcessor({ architecture: 'arm64' });

  test('runs the bundled archive on a supported Node.js runtime, arm64, with its hash', () => {
    expect(fn).toMatchObject({
      function_name: 'a-processor-dev',
      runtime: LAMBDA_RUNTIME,
      architectures: ['arm64'],
      handler: 'index.handler',
      source_code_hash: bundle.sourceCodeHash,
      memory_size: 1536,
      timeout: 90,
      tracing_config: { mode: 'Active' },
    });
    expect(LAMBDA_RUNTIME).toBe('nodejs22.x');
    expect(fn.filename).toMatch(/^assets\/.+\/processor-arm64\.zip$/);
    expect(fn.reserved_concurrent_executions).toBeUndefined();
  });

  test('logs JSON to its own log group, which has a retention and exists first', () => {
    expect(logGroup).toEqual({ name: '/aws/lambda/a-processor-dev', retention_in_days: 30 });
    expect(fn.logging_config).toEqual({
      log_format: 'JSON',
      log_group: ref('aws_cloudwatch_log_group', logGroupId, 'name'),
      application_log_level: 'INFO',
      system_log_level: 'WARN',
    });
    expect(fn.depends_on).toContain(`aws_cloudwatch_log_group.${logGroupId}`);
  });

  test('filters its own lines at the application log level it is given, INFO unless told', () => {
    expect(fn.logging_config.application_log_level).toBe('INFO');
    const [, debug] = only(synthProcessor({ logLevel: 'DEBUG' }), 'aws_lambda_function');
    expect(debug.logging_config).toMatchObject({ log_format: 'JSON', application_log_level: 'DEBUG', system_log_level: 'WARN' });
  });

  test('passes the configuration the function reads back', () => {
    const config = readFunctionConfig(fn.environment.variables);
    expect(config.outputBuckets).toEqual(buckets);
    expect(config.preset).toEqual(DEFAULT_PRESET);
    expect(fn.environment.variables[FUNCTION_ENV.table]).toBe('a-metadata-dev');
    expect(config).toMatchObject({ outcomeTopicArn: TOPIC_ARN, cdnUrl: 'https://d111111abcdef8.cloudfront.net', leaseSeconds: 30, stuckAfterSeconds: 390 });
  });

  test('runs the stuck sweep every 5 minutes on a schedule allowed to invoke only this function', () => {
    const [ruleId, rule] = only(synth, 'aws_cloudwatch_event_rule');
    expect(rule).toMatchObject({ name: 'a-stuck-sweep-dev', schedule_expression: 'rate(5 minutes)' });
    const [, target] = only(synth, 'aws_cloudwatch_event_target');
    expect(target).toMatchObject({ rule: ref('aws_cloudwatch_event_rule', ruleId, 'name'), arn: ref('aws_lambda_function', functionId, 'arn') });
    const [permissionId, permission] = only(synth, 'aws_lambda_permission');
    expect(permission).toMatchObject({
      action: 'lambda:InvokeFunction',
      principal: 'events.amazonaws.com',
      source_arn: ref('aws_cloudwatch_event_rule', ruleId, 'arn'),
      function_name: ref('aws_lambda_function', functionId, 'function_name'),
    });
    expect(target.depends_on).toEqual([`aws_lambda_permission.${permissionId}`]);
  });

  test('has least privilege: named actions on named resources, "*" only for X-Ray', () => {
    const [, policy] = only(synth, 'aws_iam_role_policy');
    const documents = synth.data.aws_iam_policy_document as Record<string, Json>;
    const permissionsId = Object.keys(documents).find((id) => policy.policy.includes(id))!;
    const statements = Object.fromEntries(documents[permissionsId].statement.map((s: Json) => [s.sid, s]));
    expect(statements.ReadUploads).toMatchObject({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: ['arn:aws:s3:::a-uploads-dev/*'] });
    expect(statements.WriteVariants.actions).toEqual(['s3:PutObject']);
    expect(statements.WriteVariants.resources.sort()).toEqual(Object.values(buckets).map((b) => `arn:aws:s3:::${b}/*`).sort());
    expect(statements.RecordMetadata).toMatchObject({
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/a-metadata-dev'],
    });
    expect(statements.SweepStatusIndex).toMatchObject({
      actions: ['dynamodb:Query'],
      resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/a-metadata-dev/index/status-updated_at'],
    });
    expect(statements.AnnounceOutcomes).toMatchObject({ actions: ['sns:Publish'], resources: [TOPIC_ARN] });
    expect(statements.WriteOwnLogs).toMatchObject({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${ref('aws_cloudwatch_log_group', logGroupId, 'arn')}:*`],
    });
    expect(statements.SendToFailureQueue).toMatchObject({ actions: ['sqs:SendMessage'], resources: [ref('aws_sqs_queue', queueId, 'arn')] });
    expect(statements.Tracing).toMatchObject({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] });
    const allActions = Object.values(statements).flatMap((s) => (s as Json).actions as string[]);
    expect(allActions.filter((action) => action.includes('*'))).toEqual([]);
  });

  test('sends events that keep failing to an encrypted queue that keeps them 14 days', () => {
    const [, invokeConfig] = only(synth, 'aws_lambda_function_event_invoke_config');
    expect(invokeConfig).toEqual({
      function_name: ref('aws_lambda_function', functionId, 'function_name'),
      maximum_retry_attempts: 2,
      maximum_event_age_in_seconds: 3600,
      destination_config: { on_failure: { destination: ref('aws_sqs_queue', queueId, 'arn') } },
    });
    expect(queue).toEqual({ name: 'a-failures-dev', sqs_managed_sse_enabled: true, message_retention_seconds: 14 * 86400 });
  });

  test('reserves concurrency when asked', () => {
    const [, reserved] = only(synthProcessor({ reservedConcurrency: 50 }), 'aws_lambda_function');
    expect(reserved.reserved_concurrent_executions).toBe(50);
  });
});
