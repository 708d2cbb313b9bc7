import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { ProcessorBundle } from '../packaging/bundle';
import { FunctionConfig, functionEnvironment } from '../lib/function-environment';
import { ApplicationLogLevel, LAMBDA_RUNTIME } from '../lib/lambda-runtime';
import { STUCK_SWEEP_MINUTES } from '../lib/lease';
import { STATUS_INDEX } from '../lib/metadata';
import { denyInsecureTransport } from './policy-statements';

export interface ProcessorFunctionProps {
  readonly functionName: string;
  readonly roleName: string;
  readonly logGroupName: string;
  readonly failureQueueName: string;
  /** Name of the EventBridge rule that runs the stuck sweep (functions/processor/sweep.ts). */
  readonly sweepScheduleName: string;
  /** The deployment archive from `bundleProcessor`. */
  readonly code: ProcessorBundle;
  /** What the function is told through its environment variables; `outcomeTopicArn` is the one topic it may publish to. */
  readonly config: FunctionConfig;
  /** ARN of the bucket the function reads uploads from. */
  readonly uploadBucketArn: string;
  /** ARNs of the buckets the function writes variants to. */
  readonly outputBucketArns: readonly string[];
  /** ARN of the metadata table. */
  readonly tableArn: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
  /** Retries of a failed asynchronous invocation before the event goes to the failure queue. */
  readonly maxRetries: number;
  /** Age after which an undelivered event goes to the failure queue. */
  readonly maxEventAgeSeconds: number;
  readonly logRetentionDays: number;
  /**
   * Least severe of the function's own log lines that reach CloudWatch; Lambda passes it to the code as
   * `AWS_LAMBDA_LOG_LEVEL`.
   *
   * @default 'INFO'
   */
  readonly logLevel?: ApplicationLogLevel;
  readonly failureQueueRetentionDays: number;
}

/**
 * The image processor: the Lambda function with its own role (least privilege), its own log group (JSON logs,
 * retention set), X-Ray tracing, and the failure path: bounded retries and event age, then an encrypted SQS queue
 * that keeps what failed for `failureQueueRetentionDays` so it can be replayed.
 */
export class ProcessorFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly failureQueue: SqsQueue;
  public readonly invokeConfig: LambdaFunctionEventInvokeConfig;
  public readonly sweepSchedule: CloudwatchEventRule;
  public readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: ProcessorFunctionProps) {
    super(scope, id);

    this.failureQueue = new SqsQueue(this, 'failure-queue', {
      name: props.failureQueueName,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: props.failureQueueRetentionDays * 86_400,
    });
    const queuePolicy = new DataAwsIamPolicyDocument(this, 'failure-queue-policy-document', {
      statement: [
        denyInsecureTransport('sqs', [this.failureQueue.arn]),
      ],
    });
    new SqsQueuePolicy(this, 'failure-queue-policy', { queueUrl: this.failureQueue.url, policy: queuePolicy.json });

    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: props.logGroupName,
      retentionInDays: props.logRetentionDays,
    });

    const assumeRole = new DataAwsIamPolicyDocument(this, 'assume-role', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }],
        },
      ],
    });
    this.role = new IamRole(this, 'role', { name: props.roleName, assumeRolePolicy: assumeRole.json });

    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        {
          sid: 'ReadUploads',
          effect: 'Allow',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [`${props.uploadBucketArn}/*`],
        },
        {
          sid: 'WriteVariants',
          effect: 'Allow',
          actions: ['s3:PutObject'],
          resources: props.outputBucketArns.map((arn) => `${arn}/*`),
        },
        {
          // Every write is a conditional UpdateItem (functions/processor/records.ts): no PutItem, no DeleteItem.
          sid: 'RecordMetadata',
          effect: 'Allow',
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resources: [props.tableArn],
        },
        {
          // The stuck sweep reads the status index only.
          sid: 'SweepStatusIndex',
          effect: 'Allow',
          actions: ['dynamodb:Query'],
          resources: [`${props.tableArn}/index/${STATUS_INDEX.name}`],
        },
        {
          sid: 'AnnounceOutcomes',
          effect: 'Allow',
          actions: ['sns:Publish'],
          resources: [props.config.outcomeTopicArn],
        },
        {
          sid: 'WriteOwnLogs',
          effect: 'Allow',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${this.logGroup.arn}:*`],
        },
        {
          sid: 'SendToFailureQueue',
          effect: 'Allow',
          actions: ['sqs:SendMessage'],
          resources: [this.failureQueue.arn],
        },
        {
          sid: 'Tracing',
          effect: 'Allow',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          // X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions: AWS accepts only "*".
          resources: ['*'],
        },
      ],
    });
    const policy = new IamRolePolicy(this, 'permissions-policy', {
      name: 'processor',
      role: this.role.id,
      policy: permissions.json,
    });

    this.asset = new TerraformAsset(this, 'code', { path: props.code.zipPath, type: AssetType.FILE });

    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: [props.code.architecture],
      handler: 'index.handler',
      filename: this.asset.path,
      sourceCodeHash: props.code.sourceCodeHash,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: { mode: 'Active' },
      loggingConfig: {
        logFormat: 'JSON',
        logGroup: this.logGroup.name,
        applicationLogLevel: props.logLevel ?? 'INFO',
        systemLogLevel: 'WARN',
      },
      environment: { variables: functionEnvironment(props.config) },
      // The log group must exist with its retention before the first invocation creates it without one, and the
      // role must hold its permissions before S3 can invoke the function.
      dependsOn: [this.logGroup, policy],
    });

    this.invokeConfig = new LambdaFunctionEventInvokeConfig(this, 'async-invoke', {
      functionName: this.function.functionName,
      maximumRetryAttempts: props.maxRetries,
      maximumEventAgeInSeconds: props.maxEventAgeSeconds,
      destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
    });

    // The stuck sweep: the same function, on a schedule (its event tells it apart from an S3 event).
    this.sweepSchedule = new CloudwatchEventRule(this, 'sweep-schedule', {
      name: props.sweepScheduleName,
      description: 'Counts uploads stuck in PROCESSING and announces outcomes that were never published',
      scheduleExpression: `rate(${STUCK_SWEEP_MINUTES} minutes)`,
    });
    const sweepPermission = new LambdaPermission(this, 'sweep-permission', {
      statementId: 'AllowStuckSweepSchedule',
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.sweepSchedule.arn,
    });
    new CloudwatchEventTarget(this, 'sweep-target', {
      rule: this.sweepSchedule.name,
      arn: this.function.arn,
      dependsOn: [sweepPermission],
    });
  }
}
