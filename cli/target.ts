/**
 * What a command talks to: the local runtime (default; its runtime.json) or a deployed environment (`--env`; its
 * stack outputs). Both give the same things: the upload bucket, the metadata table, the CDN's base URL, the
 * function, the failure queue, and SDK clients pointed at the right endpoints.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ReadyRuntimeInfo, readRuntimeInfo, resolveDataDir } from '../local/runtime-info';
import { LOCAL_CREDENTIALS, localClientConfig } from '../local/servers';
import type { GlobalOptions } from './args';
import { UserError } from './errors';
import { readStackOutputs } from './outputs';
import { STACK_OUTPUTS } from '../lib/stack-outputs';

interface TargetBase {
  /** For messages: "the local runtime" or "environment prod". */
  readonly label: string;
  readonly uploadBucket: string;
  readonly table: string;
  /** Base URL of the CDN (or the local edge), without a trailing slash. */
  readonly cdnUrl: string;
  readonly functionName: string;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly lambda: LambdaClient;
  /** How often to look at the table while waiting for processing. */
  readonly pollIntervalMs: number;
  close(): void;
}

export interface LocalTarget extends TargetBase {
  readonly kind: 'local';
  readonly runtime: ReadyRuntimeInfo;
  readonly failureQueueDir: string;
}

export interface DeployedTarget extends TargetBase {
  readonly kind: 'deployed';
  readonly environment: string;
  readonly region: string;
  readonly failureQueueUrl: string;
  readonly sqs: SQSClient;
}

export type Target = LocalTarget | DeployedTarget;

export function resolveTarget(options: GlobalOptions): Target {
  if (options.env !== undefined || options.outputsFile !== undefined) {
    if (options.env === undefined) throw new UserError('--outputs-file needs --env <suffix> (which stack in the file)');
    return deployedTarget(options.env, options.outputsFile);
  }
  return localTarget(options.dataDir);
}

function localTarget(dataDirOption: string | undefined): LocalTarget {
  const dataDir = resolveDataDir(dataDirOption);
  const info = readRuntimeInfo(dataDir);
  if (!info) {
    throw new UserError(`the local runtime is not running: start it with npm start${dataDirOption ? ` -- --data-dir ${dataDirOption}` : ''}`);
  }
  if (info.state !== 'ready') throw new UserError('the local runtime is still starting: try again in a moment');
  return localTargetFor(info as ReadyRuntimeInfo);
}

/** The local runtime as a target, from what it wrote to runtime.json (the console uses its own runtime's). */
export function localTargetFor(runtime: ReadyRuntimeInfo): LocalTarget {
  const s3 = new S3Client(localClientConfig(runtime.s3Endpoint));
  const dynamodbClient = new DynamoDBClient(localClientConfig(runtime.dynamodbEndpoint));
  const lambda = new LambdaClient({ endpoint: runtime.lambdaEndpoint, region: runtime.region, credentials: LOCAL_CREDENTIALS });
  return {
    kind: 'local',
    label: 'the local runtime',
    runtime,
    uploadBucket: runtime.uploadBucket,
    table: runtime.table,
    cdnUrl: runtime.edgeUrl,
    functionName: runtime.functionName,
    failureQueueDir: runtime.failureQueueDir,
    s3,
    dynamodb: DynamoDBDocumentClient.from(dynamodbClient),
    lambda,
    pollIntervalMs: 250,
    close: () => {
      s3.destroy();
      dynamodbClient.destroy();
      lambda.destroy();
    },
  };
}

function deployedTarget(environment: string, outputsFile: string | undefined): DeployedTarget {
  const outputs = readStackOutputs(environment, outputsFile);
  // The function's ARN names the region the stack is in; the shell's AWS_REGION is the fallback.
  const region = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(outputs[STACK_OUTPUTS.functionArn] ?? '')?.[1]
    ?? /^https:\/\/sqs\.([a-z0-9-]+)\./.exec(outputs[STACK_OUTPUTS.failureQueueUrl])?.[1]
    ?? process.env.AWS_REGION;
  if (!region) throw new UserError(`cannot tell the region of environment ${environment}: set AWS_REGION`);
  const s3 = new S3Client({ region });
  const dynamodbClient = new DynamoDBClient({ region });
  const lambda = new LambdaClient({ region });
  const sqs = new SQSClient({ region });
  return {
    kind: 'deployed',
    label: `environment ${environment}`,
    environment,
    region,
    uploadBucket: outputs[STACK_OUTPUTS.uploadBucket],
    table: outputs[STACK_OUTPUTS.table],
    cdnUrl: `https://${outputs[STACK_OUTPUTS.distributionDomain].replace(/^https?:\/\//, '').replace(/\/+$/, '')}`,
    functionName: outputs[STACK_OUTPUTS.functionArn] ?? outputs[STACK_OUTPUTS.functionName],
    failureQueueUrl: outputs[STACK_OUTPUTS.failureQueueUrl],
    s3,
    dynamodb: DynamoDBDocumentClient.from(dynamodbClient),
    lambda,
    sqs,
    pollIntervalMs: 1000,
    close: () => {
      s3.destroy();
      dynamodbClient.destroy();
      lambda.destroy();
      sqs.destroy();
    },
  };
}
