/**
 * The local AWS-compatible servers: s3rver (S3) in a child process and dynalite (DynamoDB) in this one, both real
 * HTTP servers on loopback that the real AWS SDK clients talk to, with the known workarounds applied here:
 *
 * - s3rver accepts only the credentials `S3RVER` / `S3RVER`, so every local client uses them (dynalite takes any).
 * - The SDK's default request checksums make s3rver store streamed uploads corrupted: `localAwsEnvironment` sets
 *   `AWS_REQUEST_CHECKSUM_CALCULATION` / `AWS_RESPONSE_CHECKSUM_VALIDATION` to `WHEN_REQUIRED`.
 * - s3rver needs OpenSSL's legacy provider for ListObjects continuation tokens: it runs in its own process with the
 *   flag (local/s3-server.js).
 * - s3rver's events carry the key NOT URL-encoded and no version id: `normalizeS3rverEvent` turns them into the
 *   shape S3 delivers to Lambda.
 *
 * Data lives in `dataDir` (s3/ and dynamodb/), so it survives a restart and is removed by deleting the folder.
 */
import { ChildProcess, fork } from 'node:child_process';
import { stopChild } from './child-process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { IMAGE_ID_ATTRIBUTE, STATUS_INDEX } from '../lib/metadata';
import { encodeS3EventKey } from '../lib/s3-events';

export { encodeS3EventKey };

/** The only key pair s3rver accepts out of the box; dynalite accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';
const HOST = '127.0.0.1';

export interface LocalServersOptions {
  /** Folder for the servers' data (created when missing). */
  readonly dataDir: string;
  /** @default 0 (any free port) */
  readonly s3Port?: number;
  /** @default 0 (any free port) */
  readonly dynamodbPort?: number;
}

export interface LocalServers {
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly dataDir: string;
  /** Calls `listener` with every object written to any bucket, as S3 would deliver it to Lambda. */
  onObjectCreated(listener: (event: S3Event) => void): void;
  close(): Promise<void>;
}

/** Starts both servers; resolves once both accept connections. */
export async function startLocalServers(options: LocalServersOptions): Promise<LocalServers> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(path.join(dataDir, 's3'), { recursive: true });
  fs.mkdirSync(path.join(dataDir, 'dynamodb'), { recursive: true });

  const listeners: Array<(event: S3Event) => void> = [];
  const s3 = await startS3Server(path.join(dataDir, 's3'), options.s3Port ?? 0, (raw) => {
    const event = normalizeS3rverEvent(raw);
    if (event) for (const listener of listeners) listener(event);
  });
  let dynamodb: Server;
  try {
    dynamodb = await startDynamodbServer(path.join(dataDir, 'dynamodb'), options.dynamodbPort ?? 0);
  } catch (error) {
    await stopChild(s3.child, 3000);
    throw error;
  }
  const dynamodbPort = (dynamodb.address() as AddressInfo).port;
  return {
    s3Endpoint: `http://${HOST}:${s3.port}`,
    dynamodbEndpoint: `http://${HOST}:${dynamodbPort}`,
    dataDir,
    onObjectCreated: (listener) => listeners.push(listener),
    close: async () => {
      await Promise.all([stopChild(s3.child, 3000), new Promise<void>((resolve) => dynamodb.close(() => resolve()))]);
    },
  };
}

async function startS3Server(
  directory: string,
  port: number,
  onEvent: (raw: S3Event) => void,
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(__dirname, 's3-server.js'), [], {
    execArgv: ['--openssl-legacy-provider'],
    env: { ...process.env, S3_SERVER_DIRECTORY: directory, S3_SERVER_PORT: String(port), S3_SERVER_HOST: HOST },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (message: { type: string; port?: number; event?: S3Event; message?: string }) => {
      if (message.type === 'ready') resolve({ child, port: message.port as number });
      else if (message.type === 'event' && message.event) onEvent(message.event);
      else if (message.type === 'error') reject(new Error(`The local S3 server did not start: ${message.message}`));
    });
    child.once('exit', (code) => reject(new Error(`The local S3 server exited with code ${code} before it was ready`)));
    child.once('error', reject);
  });
}

async function startDynamodbServer(directory: string, port: number): Promise<Server> {
  // dynalite has no type declarations; it returns a plain http.Server.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ path: directory, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`The local DynamoDB server did not start: ${error.code === 'EADDRINUSE' ? `port ${port} is in use` : error.message}`)),
    );
    server.listen(port, HOST, () => resolve());
  });
  return server;
}

/**
 * s3rver's event in the shape S3 sends to Lambda: only ObjectCreated records, key URL-encoded, ETag unquoted.
 * Undefined when nothing in it was created (deletions).
 */
export function normalizeS3rverEvent(raw: S3Event): S3Event | undefined {
  const records = (raw.Records ?? [])
    .filter((record) => record.eventName?.startsWith('ObjectCreated:'))
    .map((record): S3EventRecord => ({
      ...record,
      awsRegion: LOCAL_REGION,
      s3: {
        ...record.s3,
        bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
        object: {
          ...record.s3.object,
          key: encodeS3EventKey(record.s3.object.key),
          eTag: record.s3.object.eTag?.replace(/"/g, '') ?? '',
        },
      },
    }));
  return records.length > 0 ? { Records: records } : undefined;
}

/**
 * Environment variables that point the AWS SDK (in the handler, the command line, anything) at the local servers,
 * with the workarounds the servers need.
 */
export function localAwsEnvironment(
  servers: Pick<LocalServers, 's3Endpoint' | 'dynamodbEndpoint'> & { readonly snsEndpoint?: string },
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: servers.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: servers.dynamodbEndpoint,
    ...(servers.snsEndpoint ? { AWS_ENDPOINT_URL_SNS: servers.snsEndpoint } : {}),
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REGION: LOCAL_REGION,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** SDK client settings for the local servers, for code that builds its own clients. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

export interface PipelineResourceNames {
  readonly uploadBucket: string;
  readonly outputBuckets: Readonly<Record<string, string>>;
  readonly table: string;
}

/** Creates the buckets and the metadata table (with its status index) when they do not exist yet. */
export async function createPipelineResources(
  servers: Pick<LocalServers, 's3Endpoint' | 'dynamodbEndpoint'>,
  names: PipelineResourceNames,
): Promise<void> {
  const s3 = new S3Client(localClientConfig(servers.s3Endpoint));
  const dynamodb = new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint));
  try {
    for (const bucket of [names.uploadBucket, ...Object.values(names.outputBuckets)]) {
      const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(() => true, () => false);
      if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName: names.table }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await dynamodb.send(new CreateTableCommand({
        TableName: names.table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: IMAGE_ID_ATTRIBUTE, AttributeType: 'S' },
          { AttributeName: STATUS_INDEX.hashKey, AttributeType: 'S' },
          { AttributeName: STATUS_INDEX.rangeKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: IMAGE_ID_ATTRIBUTE, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [{
          IndexName: STATUS_INDEX.name,
          KeySchema: [
            { AttributeName: STATUS_INDEX.hashKey, KeyType: 'HASH' },
            { AttributeName: STATUS_INDEX.rangeKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }],
      }));
    }
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}
