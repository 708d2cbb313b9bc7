/**
 * The exact archive that deploys, run the way Lambda runs it: the dev stack is synthesized, the zip its
 * aws_lambda_function names is unzipped into an empty folder, and its handler is invoked under Node 22 for the
 * function's architecture (arm64 under qemu on this x86_64 machine), with the function's synthesized environment,
 * against the local S3 and DynamoDB servers. It must load sharp from the archive and write the variants.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { PutObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { buildApp } from '../../main';
import { Architecture } from '../../lib/lambda-runtime';
import { bundleProcessor } from '../../packaging/bundle';
import { lambdaNode } from '../../measure/lambda-node';
import { deriveImageId } from '../../lib/keys';
import { FUNCTION_ENV } from '../../lib/function-environment';
import { LocalTopic, readNotifications, startLocalTopic } from '../../local/notifications';
import { LocalServers, createPipelineResources, localAwsEnvironment, localClientConfig, startLocalServers } from '../../local/servers';
import { photoJpeg, transparentPng } from '../../fixtures/images';
import { objectCreatedRecord } from '../../lib/s3-events';

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD_DIR = process.env.IMAGE_OPT_BUILD_DIR ?? path.join(ROOT, '.build');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-'));

interface LambdaResource {
  filename: string;
  architectures: Architecture[];
  memory_size: number;
  environment: { variables: Record<string, string> };
}

/** The dev stack's function as synthesized, and the absolute path of its archive. */
function synthesizedFunction(): { fn: LambdaResource; zip: string } {
  const outdir = path.join(work, 'cdktf.out');
  buildApp({ IMAGE_OPT_OFFLINE: '1' }, outdir).synth();
  const stackDir = path.join(outdir, 'stacks', 'image-optimization-dev');
  const stack = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const [fn] = Object.values(stack.resource.aws_lambda_function) as LambdaResource[];
  return { fn, zip: path.join(stackDir, fn.filename) };
}

function unzipInto(zip: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  expect(fs.readdirSync(dir)).toEqual([]);
  for (const [name, data] of Object.entries(unzipSync(fs.readFileSync(zip)))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // A clean environment: nothing of this process (NODE_OPTIONS, jest's variables) leaks into the "Lambda".
    const child = spawn(command, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const synthesized = synthesizedFunction();
const architectures: Array<{ architecture: Architecture; zip: string; label: string }> = [
  { architecture: synthesized.fn.architectures[0], zip: synthesized.zip, label: 'the synthesized dev archive' },
];
if (synthesized.fn.architectures[0] !== 'x86_64') {
  architectures.push({ architecture: 'x86_64', zip: bundleProcessor({ architecture: 'x86_64' }).zipPath, label: 'the x86_64 archive of the same code' });
}

let servers: LocalServers;
let topic: LocalTopic;
beforeAll(async () => {
  const variables = synthesized.fn.environment.variables;
  servers = await startLocalServers({ dataDir: path.join(work, 'data') });
  // The function announces each outcome on its topic: the local one stands in for SNS.
  topic = await startLocalTopic({ dataDir: path.join(work, 'data'), topicArn: variables[FUNCTION_ENV.outcomeTopicArn] });
  await createPipelineResources(servers, {
    uploadBucket: 'imgopt-uploads-dev',
    outputBuckets: JSON.parse(variables.OUTPUT_BUCKETS),
    table: variables.METADATA_TABLE,
  });
});

afterAll(async () => {
  await topic?.close();
  await servers?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('the default architecture is arm64, the one whose archive runs below', () => {
  expect(synthesized.fn.architectures).toEqual(['arm64']);
});

describe.each(architectures)('$label ($architecture)', ({ architecture, zip }) => {
  const lookup = lambdaNode(architecture, BUILD_DIR);
  const runnable = 'node' in lookup;
  if (!runnable) process.stderr.write(`\nSkipping the ${architecture} archive run: ${lookup.unavailable}\n`);

  (runnable ? test : test.skip)(`loads sharp from the unzipped archive and writes the variants under Node 22 ${runnable ? '' : `(skipped: ${'unavailable' in lookup ? lookup.unavailable : ''})`}`, async () => {
    if (!('node' in lookup)) return;
    const dir = path.join(work, `function-${architecture}`);
    unzipInto(zip, dir);
    expect(fs.existsSync(path.join(dir, 'node_modules', '@img', `sharp-linux-${architecture === 'arm64' ? 'arm64' : 'x64'}`))).toBe(true);

    const s3 = new S3Client(localClientConfig(servers.s3Endpoint));
    const uploads = [
      { key: `${architecture}/Photo 1+2.JPG`, body: await photoJpeg(400, 300) },
      { key: `${architecture}/logo.png`, body: await transparentPng(200, 150) },
    ];
    const records = [];
    for (const upload of uploads) {
      const { ETag } = await s3.send(new PutObjectCommand({ Bucket: 'imgopt-uploads-dev', Key: upload.key, Body: upload.body }));
      const etag = ETag!.replace(/"/g, '');
      records.push({
        ...objectCreatedRecord({ bucket: 'imgopt-uploads-dev', key: upload.key, eTag: etag, size: upload.body.length }),
        imageId: deriveImageId({ bucket: 'imgopt-uploads-dev', key: upload.key, etag }),
      });
    }
    const eventFile = path.join(work, `event-${architecture}.json`);
    const resultFile = path.join(work, `result-${architecture}.json`);
    fs.writeFileSync(eventFile, JSON.stringify({ Records: records.map(({ imageId: _, ...record }) => record) }));

    const env = {
      ...synthesized.fn.environment.variables,
      // Known only after apply (the distribution's domain name): the URL a deployed function would be given.
      [FUNCTION_ENV.cdnUrl]: 'https://d111111abcdef8.cloudfront.net',
      ...localAwsEnvironment({ ...servers, snsEndpoint: topic.endpoint }),
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(synthesized.fn.memory_size),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const { node } = lookup;
    const { code, output } = await run(node.command, [...node.prefix, path.join(ROOT, 'measure', 'invoke-archive.js'), dir, eventFile, resultFile], env, 170_000);
    expect({ code, tail: code === 0 ? '' : output.slice(-2000) }).toEqual({ code: 0, tail: '' });

    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    expect(result.error).toBeUndefined();
    expect(result.node).toMatch(/^v22\./);
    expect(result.arch).toBe(architecture === 'arm64' ? 'arm64' : 'x64');
    expect(result.report.results.map((r: { outcome: string }) => r.outcome)).toEqual(['COMPLETED', 'COMPLETED']);
    // The bundled Logger and Metrics write one JSON object per line, as Lambda's JSON log format keeps them.
    const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(lines.filter((line) => line.message === 'processed').map((line) => [line.level, line.image_id])).toEqual(
      records.map((record) => ['INFO', record.imageId]),
    );
    expect(lines.filter((line) => '_aws' in line).map((line) => line.image_id)).toEqual(records.map((record) => record.imageId));

    const documents = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(servers.dynamodbEndpoint)));
    const buckets = JSON.parse(synthesized.fn.environment.variables.OUTPUT_BUCKETS);
    for (const record of records) {
      const { Item } = await documents.send(new GetCommand({ TableName: synthesized.fn.environment.variables.METADATA_TABLE, Key: { image_id: record.imageId } }));
      expect(Item).toMatchObject({ status: 'COMPLETED' });
      expect(Item!.announced_at).toBeDefined();
      expect(Item!.variants.length).toBeGreaterThanOrEqual(8);
      for (const variant of Item!.variants) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: buckets[variant.format], Key: variant.key }));
        expect(head.ContentLength).toBe(variant.bytes);
      }
    }
    // The bundled SNS client published each outcome.
    const announced = readNotifications(path.join(work, 'data')).map((notification) => JSON.parse(notification.Message));
    for (const record of records) expect(announced).toContainEqual(expect.objectContaining({ image_id: record.imageId, status: 'COMPLETED' }));
    s3.destroy();
  }, 180_000);
});
