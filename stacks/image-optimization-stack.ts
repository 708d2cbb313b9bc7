import { Aspects, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { AwsProvider, AwsProviderConfig } from '@cdktf/provider-aws/lib/provider';
import { Cdn } from '../constructs/cdn';
import { MetadataTable } from '../constructs/metadata-table';
import { Monitoring } from '../constructs/monitoring';
import { OptimizedBuckets } from '../constructs/optimized-buckets';
import { OutcomeTopic } from '../constructs/outcome-topic';
import { ProcessorFunction } from '../constructs/processor-function';
import { UploadBucket } from '../constructs/upload-bucket';
import { UploadNotifications } from '../constructs/upload-notifications';
import { bundleProcessor } from '../packaging/bundle';
import { OUTPUT_FORMATS, OutputFormat } from '../lib/formats';
import { OFFLINE_ACCOUNT_ID } from '../lib/lambda-runtime';
import { UPLOAD_LEASE, stuckAfterSeconds } from '../lib/lease';
import { METRICS_NAMESPACE } from '../lib/metrics';
import { snsTopicArn, stateKey } from '../lib/naming';
import { CLOUDFRONT_REGION } from '../lib/regions';
import { STACK_OUTPUTS, StackOutputName, formatBucketOutput } from '../lib/stack-outputs';
import { PolicyPack } from '../policies/policy-pack';
import { fixRenderedHcl } from './hcl-output';
import { EnvironmentSettings } from './settings';

/**
 * One environment of the image optimization pipeline: uploads bucket, optimized buckets, metadata table, processor
 * function and its failure path, upload notifications, CDN and monitoring, with remote state of its own.
 */
export class ImageOptimizationStack extends TerraformStack {
  constructor(scope: Construct, id: string, settings: EnvironmentSettings) {
    super(scope, id);
    const { names, state } = settings;

    if (state.offline) {
      new LocalBackend(this, { path: `terraform.${settings.suffix}.tfstate` });
    } else {
      const backend = new S3Backend(this, {
        bucket: state.bucket,
        key: stateKey(settings.suffix),
        region: state.region,
        encrypt: true,
      });
      // S3-native state locking (Terraform >= 1.10); cdktf's S3Backend has no property for it yet.
      backend.addOverride('use_lockfile', true);
    }

    const providerConfig: AwsProviderConfig = {
      defaultTags: [{ tags: { ...settings.tags } }],
      ...(state.offline
        ? {
            skipCredentialsValidation: true,
            skipRequestingAccountId: true,
            skipMetadataApiCheck: 'true',
            skipRegionValidation: true,
            maxRetries: 1,
          }
        : {}),
    };
    new AwsProvider(this, 'aws', { ...providerConfig, region: settings.region });
    const edgeProvider =
      settings.region === CLOUDFRONT_REGION
        ? undefined
        : new AwsProvider(this, 'aws-us-east-1', { ...providerConfig, region: CLOUDFRONT_REGION, alias: 'us_east_1' });

    const accountId =
      // Offline, the caller-identity lookup cannot run; an offline plan is never applied (local backend, no credentials).
      settings.accountId ?? (state.offline ? OFFLINE_ACCOUNT_ID : new DataAwsCallerIdentity(this, 'caller').accountId);

    const uploads = new UploadBucket(this, 'uploads', {
      bucketName: names.uploadBucket,
      forceDestroy: settings.forceDestroyBuckets,
      noncurrentVersionDays: settings.uploads.noncurrentVersionDays,
      abortMultipartDays: settings.uploads.abortMultipartDays,
      corsAllowedOrigins: settings.uploads.corsAllowedOrigins,
    });

    const optimized = new OptimizedBuckets(this, 'optimized', {
      bucketNames: names.outputBuckets,
      forceDestroy: settings.forceDestroyBuckets,
    });

    const table = new MetadataTable(this, 'metadata', {
      tableName: names.table,
      deletionProtection: settings.tableDeletionProtection,
    });

    const cdn = new Cdn(this, 'cdn', {
      names,
      buckets: optimized,
      preset: settings.preset,
      priceClass: settings.cdn.priceClass,
      corsAllowedOrigins: settings.cdn.corsAllowedOrigins,
      domainNames: settings.cdn.domainNames,
      certificateArn: settings.cdn.certificateArn,
      webAclArn: settings.cdn.webAclArn,
      accessLogsBucket: settings.cdn.accessLogsBucket,
      accessLogsPrefix: `cloudfront/${names.alarmPrefix}/`,
      additionalMetrics: settings.cdn.additionalMetrics,
    });

    // The topic's ARN is known from its name, so the function's environment and permissions can name it before the
    // topic (whose policy names the function's role) exists.
    const outcomeTopicArn = snsTopicArn(settings.region, accountId, names.outcomeTopic);
    const cdnHost = settings.cdn.domainNames?.[0] ?? cdn.distribution.domainName;

    const processor = new ProcessorFunction(this, 'processor', {
      functionName: names.processorFunction,
      roleName: names.processorRole,
      logGroupName: names.processorLogGroup,
      failureQueueName: names.failureQueue,
      sweepScheduleName: names.sweepSchedule,
      // The bundling hook: the archive is rebuilt from the current code whenever the stack is synthesized.
      code: bundleProcessor({ architecture: settings.processor.architecture }),
      config: {
        table: names.table,
        outputBuckets: names.outputBuckets,
        preset: settings.preset,
        environment: settings.suffix,
        metricsNamespace: METRICS_NAMESPACE,
        outcomeTopicArn,
        cdnUrl: `https://${cdnHost}`,
        leaseSeconds: UPLOAD_LEASE.seconds,
        stuckAfterSeconds: stuckAfterSeconds(settings.processor.timeoutSeconds),
      },
      uploadBucketArn: uploads.arn,
      outputBucketArns: OUTPUT_FORMATS.map((format) => optimized.buckets[format].arn),
      tableArn: table.arn,
      memoryMb: settings.processor.memoryMb,
      timeoutSeconds: settings.processor.timeoutSeconds,
      reservedConcurrency: settings.processor.reservedConcurrency,
      maxRetries: settings.processor.maxRetries,
      maxEventAgeSeconds: settings.processor.maxEventAgeSeconds,
      logRetentionDays: settings.logRetentionDays,
      logLevel: settings.processor.logLevel,
      failureQueueRetentionDays: settings.failureQueueRetentionDays,
    });

    const outcomes = new OutcomeTopic(this, 'outcomes', {
      topicName: names.outcomeTopic,
      accountId,
      publisherRoleArn: processor.role.arn,
      failureEmail: settings.outcomes.failureEmail,
    });

    new UploadNotifications(this, 'upload-notifications', {
      bucketName: uploads.bucket.id,
      bucketArn: uploads.arn,
      bucketAccountId: accountId,
      functionName: processor.function.functionName,
      functionArn: processor.function.arn,
    });

    const monitoring = new Monitoring(this, 'monitoring', {
      names,
      region: settings.region,
      environment: settings.suffix,
      functionName: processor.function.functionName,
      functionTimeoutSeconds: settings.processor.timeoutSeconds,
      failureQueueName: processor.failureQueue.name,
      tableName: table.name,
      distributionId: cdn.distribution.id,
      cacheHitRateAvailable: cdn.additionalMetrics,
      thresholds: settings.alarms,
      email: settings.alarms.email,
      edgeProvider,
    });

    const outputs: Record<StackOutputName, { value: string; description: string }> = {
      [STACK_OUTPUTS.uploadBucket]: { value: uploads.name, description: 'Bucket to upload originals to' },
      ...Object.fromEntries(
        OUTPUT_FORMATS.map((format) => [
          formatBucketOutput(format),
          { value: optimized.buckets[format].name, description: `Bucket of the ${format.toUpperCase()} variants` },
        ]),
      ) as Record<`${OutputFormat}_bucket`, { value: string; description: string }>,
      [STACK_OUTPUTS.distributionDomain]: { value: cdn.distribution.domainName, description: 'CDN domain name images are served from' },
      [STACK_OUTPUTS.distributionId]: { value: cdn.distribution.id, description: 'CDN distribution id (for invalidations and metrics)' },
      [STACK_OUTPUTS.table]: { value: table.name, description: 'Image metadata table' },
      [STACK_OUTPUTS.functionName]: { value: processor.function.functionName, description: 'Processor function name' },
      [STACK_OUTPUTS.functionArn]: { value: processor.function.arn, description: 'Processor function ARN' },
      [STACK_OUTPUTS.failureQueueUrl]: { value: processor.failureQueue.url, description: 'Queue of uploads whose processing failed, to replay' },
      [STACK_OUTPUTS.failureQueueArn]: { value: processor.failureQueue.arn, description: 'ARN of the failure queue' },
      [STACK_OUTPUTS.alarmTopicArn]: { value: monitoring.topic.arn, description: 'SNS topic the alarms notify' },
      [STACK_OUTPUTS.outcomeTopicArn]: { value: outcomes.topic.arn, description: 'SNS topic with one message per upload outcome (COMPLETED or FAILED)' },
      [STACK_OUTPUTS.dashboardUrl]: { value: monitoring.dashboardUrl, description: 'CloudWatch dashboard' },
    };
    for (const [name, output] of Object.entries(outputs)) new TerraformOutput(this, name, output);

    Aspects.of(this).add(new PolicyPack());
  }

  /** The stack as plain Terraform (`cdktf synth --hcl`), with the fixes of stacks/hcl-output.ts. */
  public override toHclTerraform(): ReturnType<TerraformStack['toHclTerraform']> {
    const rendered = super.toHclTerraform();
    return { ...rendered, hcl: fixRenderedHcl(rendered.hcl) };
  }
}
