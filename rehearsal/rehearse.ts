/**
 * `npm run rehearse`: applies the dev stack to moto_server on this machine and drives the command line against it.
 *
 * 1. Starts moto_server on loopback, or says why it cannot.
 * 2. Synthesizes the stacks offline into a scratch folder and writes a provider override there, into the dev
 *    stack only: every endpoint at moto, path-style S3, the skip flags, placeholder keys. cdktf.out and the
 *    deployed configuration are untouched.
 * 3. Applies every resource except those moto cannot create and whatever references them (emulator-gaps.ts
 *    names the types; the references are followed in the synthesized JSON), and lists both.
 * 4. Plans again: any change to an applied resource that is not a known emulator gap fails the rehearsal.
 * 5. Writes the outputs file from `terraform output -json` and runs `imgopt upload --env dev --outputs-file` and
 *    `imgopt status`, then reads the object back by its version id and checks the table and the upload events.
 *
 * Exit 0 only when all of it held. `--keep` leaves the scratch folder (state, plans, outputs file) in place.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetBucketNotificationConfigurationCommand, GetBucketVersioningCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildApp } from '../main';
import { IMAGE_ID_ATTRIBUTE, STATUS_INDEX } from '../lib/metadata';
import { stackName } from '../lib/naming';
import { STACK_OUTPUTS } from '../lib/stack-outputs';
import { photoJpeg } from '../fixtures/images';
import { Terraform, findTerraform, runTerraform } from '../plan-review/terraform';
import { ConfigError } from '../stacks/settings';
import { NO_LAMBDA_RUNTIME, STAND_IN_OUTPUTS, STAND_IN_VARIABLES, UNSTORED_ATTRIBUTES, UNSUPPORTED_RESOURCE_TYPES } from './emulator-gaps';
import { MotoServer, findMotoServer, startMotoServer } from './moto-server';
import { findProviderMirror } from './provider-mirror';
import { LeftOut, StackJson, addresses, leaveOut } from './stack-graph';

/** The environment rehearsed: the cheapest profile, and the one meant to be thrown away. */
export const REHEARSED_ENVIRONMENT = 'dev';
/** moto's default account: ARNs the stack builds itself (bucket policies, the Lambda permission) must name it. */
const MOTO_ACCOUNT_ID = '123456789012';
const REGION = 'us-east-1';
/** Services the stack talks to, each pointed at moto. */
const ENDPOINT_SERVICES = ['s3', 'dynamodb', 'iam', 'lambda', 'sqs', 'sns', 'cloudwatch', 'events', 'logs', 'cloudfront', 'sts'];
export const OVERRIDE_FILE = 'rehearsal_override.tf.json';
const IMGOPT = path.resolve(__dirname, '..', 'bin', 'imgopt.js');

// The AWS SDK's notice that its 2027 releases need Node 22 says nothing about the rehearsal (the pinned SDK runs on 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
const progress = (line: string) => process.stdout.write(`[${elapsed()}] ${line}\n`);
const detail = (line: string) => process.stdout.write(`           ${line}\n`);

class RehearsalFailure extends Error {}

/** The provider override: every provider block of the stack (the default and any alias) pointed at moto. */
export function providerOverride(stack: StackJson, endpoint: string): StackJson {
  const blocks = (stack.provider?.aws ?? [{}]) as StackJson[];
  return {
    provider: {
      aws: blocks.map((block) => ({
        ...(block.alias ? { alias: block.alias } : {}),
        endpoints: [Object.fromEntries(ENDPOINT_SERVICES.map((service) => [service, endpoint]))],
        s3_use_path_style: true,
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: 'true',
        skip_region_validation: true,
        access_key: 'rehearsal',
        secret_key: 'rehearsal',
      })),
    },
  };
}

/**
 * Gives each function a stand-in for the environment variables that reference a resource left out
 * (`STAND_IN_VARIABLES`), in `stack` (so the graph no longer sees the reference) and as resource overrides for the
 * override file. Returns the overrides and what was stood in.
 */
export function standInVariables(stack: StackJson): { resource: StackJson; stoodIn: string[] } {
  const resource: StackJson = {};
  const stoodIn: string[] = [];
  for (const [name, fn] of Object.entries((stack.resource?.aws_lambda_function ?? {}) as StackJson)) {
    const variables = fn.environment?.variables as Record<string, string> | undefined;
    if (!variables) continue;
    const replaced = { ...variables };
    for (const [variable, standIn] of Object.entries(STAND_IN_VARIABLES)) {
      if (typeof replaced[variable] === 'string' && replaced[variable].includes('${')) {
        replaced[variable] = standIn.value;
        stoodIn.push(`${name} ${variable} = ${standIn.value}: ${standIn.reason}`);
      }
    }
    if (stoodIn.length === 0) continue;
    fn.environment.variables = replaced;
    resource.aws_lambda_function = { ...resource.aws_lambda_function, [name]: { environment: { variables: replaced } } };
  }
  return { resource, stoodIn };
}

/** Runs one terraform command, printing a progress line for each resource it finishes; rejects with its error. */
function terraformStreaming(terraform: Terraform, dir: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(terraform.binary, [...args, '-no-color'], { cwd: dir, env: terraform.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new RehearsalFailure(`terraform ${args[0]} failed:\n${stderr.trim()}`))));
  });
}

interface AttributeChange {
  readonly address: string;
  readonly type: string;
  readonly attributes: string[];
}

/** The top-level attributes a planned update changes (known values that differ, and values only known after apply). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function changedAttributes(change: Record<string, any>): string[] {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const unknown = change.after_unknown ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name])
    || (unknown[name] === true && before[name] !== undefined)).sort();
}

async function rehearse(scratch: string): Promise<void> {
  const moto = findMotoServer();
  if ('unavailable' in moto) throw new RehearsalFailure(`cannot rehearse: ${moto.unavailable}`);
  const mirror = process.env.TF_PLUGIN_MIRROR ?? findProviderMirror();
  if (mirror && !process.env.TF_PLUGIN_MIRROR) progress(`Terraform provider mirror: ${mirror} (found on this machine; TF_PLUGIN_MIRROR chooses another)`);
  const lookup = findTerraform({ ...process.env, ...(mirror ? { TF_PLUGIN_MIRROR: mirror } : {}) });
  if ('unavailable' in lookup) throw new RehearsalFailure(`cannot rehearse: ${lookup.unavailable}`);

  progress('Starting moto_server on loopback');
  const server: MotoServer = await startMotoServer(moto.binary);
  try {
    progress(`moto_server ${server.endpoint} (pid ${server.pid})`);
    await withServer(server, lookup.terraform, scratch);
  } finally {
    await server.stop();
    progress('moto_server stopped');
  }
}

async function withServer(server: MotoServer, baseTerraform: Terraform, scratch: string): Promise<void> {
  const stack = stackName(REHEARSED_ENVIRONMENT);
  progress(`Synthesizing the stacks offline into ${scratch}`);
  try {
    buildApp({ ...process.env, IMAGE_OPT_OFFLINE: '1', IMAGE_OPT_ACCOUNT_ID: MOTO_ACCOUNT_ID, IMAGE_OPT_REGION: REGION }, path.join(scratch, 'cdktf.out')).synth();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    throw new RehearsalFailure(`synthesis failed: ${problems.join('; ')}`);
  }
  const dir = path.join(scratch, 'cdktf.out', 'stacks', stack);
  const synthesized = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as StackJson;
  const variables = standInVariables(synthesized);
  const override = { ...providerOverride(synthesized, server.endpoint), ...(variables.stoodIn.length > 0 ? { resource: variables.resource } : {}) };
  fs.writeFileSync(path.join(dir, OVERRIDE_FILE), `${JSON.stringify(override, null, 2)}\n`);
  progress(`Wrote ${OVERRIDE_FILE} into the scratch copy of ${stack} (endpoints: ${ENDPOINT_SERVICES.join(', ')})`);
  for (const line of variables.stoodIn) detail(`stand-in: ${line}`);

  const terraform: Terraform = { ...baseTerraform, env: { ...baseTerraform.env, AWS_REGION: REGION } };
  progress(`terraform init (providers from the ${terraform.source})`);
  await runTerraform(terraform, dir, ['init', '-input=false']);

  const { resources } = addresses(synthesized);
  const leftOut: LeftOut[] = leaveOut(synthesized, UNSUPPORTED_RESOURCE_TYPES);
  const excluded = new Set(leftOut.map((entry) => entry.address));
  const targets = resources.filter((address) => !excluded.has(address));
  progress(`terraform apply of ${targets.length} of ${resources.length} resources (${leftOut.length} left out, listed below)`);
  let created = 0;
  await terraformStreaming(terraform, dir, ['apply', '-auto-approve', '-input=false', ...targets.map((target) => `-target=${target}`)], (line) => {
    const done = /^(\S+): Creation complete after (\S+)/.exec(line);
    if (done && !done[1].startsWith('data.')) {
      created += 1;
      detail(`created ${done[1]} (${done[2]}) [${created}/${targets.length}]`);
    }
  });

  const { stdout: stateList } = await runTerraform(terraform, dir, ['state', 'list']);
  const applied = stateList.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('data.'));
  const missing = targets.filter((address) => !applied.includes(address));
  if (missing.length > 0) throw new RehearsalFailure(`the apply left out ${missing.join(', ')} without an error`);
  progress(`Applied ${applied.length} resources:`);
  const byType = new Map<string, number>();
  for (const address of applied) byType.set(address.split('.')[0], (byType.get(address.split('.')[0]) ?? 0) + 1);
  for (const [type, count] of [...byType].sort()) detail(`${String(count).padStart(2)} ${type}`);
  progress(`Left out ${leftOut.length} resources moto cannot create:`);
  for (const entry of leftOut) detail(`${entry.address}: ${entry.reason}`);

  progress('Second plan (the whole stack, refreshed from moto)');
  await runTerraform(terraform, dir, ['plan', '-input=false', '-out=second.tfplan']);
  const { stdout: planJson } = await runTerraform(terraform, dir, ['show', '-json', 'second.tfplan']);
  const plan = JSON.parse(planJson) as StackJson;
  const appliedSet = new Set(applied);
  const forgiven: AttributeChange[] = [];
  const unexpected: string[] = [];
  for (const change of plan.resource_changes ?? []) {
    if (change.mode === 'data' || !appliedSet.has(change.address)) continue;
    const actions = (change.change?.actions ?? []) as string[];
    if (actions.length === 1 && actions[0] === 'no-op') continue;
    const attributes = changedAttributes(change.change);
    const gaps = UNSTORED_ATTRIBUTES[change.type] ?? {};
    if (actions.join() === 'update' && attributes.length > 0 && attributes.every((name) => gaps[name])) {
      forgiven.push({ address: change.address, type: change.type, attributes });
    } else {
      unexpected.push(`${change.address}: ${actions.join('/')} (${attributes.join(', ') || 'no attribute named'})`);
    }
  }
  const toCreate = (plan.resource_changes ?? []).filter((change: StackJson) => change.mode !== 'data' && excluded.has(change.address)).length;
  if (unexpected.length > 0) {
    throw new RehearsalFailure(`the second plan changes applied resources beyond the known emulator gaps:\n  ${unexpected.join('\n  ')}`);
  }
  progress(`Second plan is clean for the ${applied.length} applied resources (${toCreate} left-out resources still to create, as expected)`);
  for (const entry of forgiven) {
    for (const attribute of entry.attributes) detail(`known gap: ${entry.address} ${attribute}: ${UNSTORED_ATTRIBUTES[entry.type][attribute]}`);
  }

  await commandLine(terraform, dir, server.endpoint, scratch, stack);
}

/** The outputs file in the shape `cdktf deploy --outputs-file` writes, from `terraform output -json`. */
function writeOutputsFile(outputs: StackJson, stack: string, file: string): string[] {
  const values: Record<string, string> = {};
  for (const [name, output] of Object.entries(outputs)) values[name] = (output as { value: string }).value;
  const stoodIn: string[] = [];
  for (const [name, standIn] of Object.entries(STAND_IN_OUTPUTS)) {
    if (values[name] !== undefined) continue;
    values[name] = standIn.value;
    stoodIn.push(`${name} = ${standIn.value}: ${standIn.reason}`);
  }
  fs.writeFileSync(file, `${JSON.stringify({ [stack]: values }, null, 2)}\n`);
  return stoodIn;
}

function imgopt(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [IMGOPT, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

async function commandLine(terraform: Terraform, dir: string, endpoint: string, scratch: string, stack: string): Promise<void> {
  const { stdout } = await runTerraform(terraform, dir, ['output', '-json']);
  const outputs = JSON.parse(stdout) as StackJson;
  const outputsFile = path.join(scratch, 'outputs.json');
  const stoodIn = writeOutputsFile(outputs, stack, outputsFile);
  progress(`Wrote the outputs file ${outputsFile} from terraform output -json (${Object.keys(outputs).length} outputs)`);
  for (const line of stoodIn) detail(`stand-in: ${line}`);

  const photo = path.join(scratch, 'rehearsal-photo.jpg');
  const bytes = await photoJpeg(1600, 1067);
  fs.writeFileSync(photo, bytes);
  // The command line as a user runs it against a deployed environment; only the endpoint differs from AWS.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'rehearsal',
    AWS_SECRET_ACCESS_KEY: 'rehearsal',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const where = ['--env', REHEARSED_ENVIRONMENT, '--outputs-file', outputsFile];
  progress(`imgopt upload ${path.basename(photo)} ${where.join(' ')} --no-wait --json (${NO_LAMBDA_RUNTIME})`);
  const upload = imgopt(['upload', photo, ...where, '--no-wait', '--json'], env);
  if (upload.code !== 0) throw new RehearsalFailure(`imgopt upload exited ${upload.code}: ${upload.stderr.trim()}`);
  const [result] = JSON.parse(upload.stdout) as Array<{ image_id: string; bucket: string; key: string; status: string }>;
  detail(`uploaded s3://${result.bucket}/${result.key}: image ${result.image_id}, ${result.status}`);
  if (result.bucket !== outputs[STACK_OUTPUTS.uploadBucket]?.value) {
    throw new RehearsalFailure(`imgopt uploaded to ${result.bucket}, not the stack's upload bucket ${outputs[STACK_OUTPUTS.uploadBucket]?.value}`);
  }

  const clientConfig = { region: REGION, endpoint, forcePathStyle: true, credentials: { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' } };
  const s3 = new S3Client(clientConfig);
  const dynamodb = new DynamoDBClient(clientConfig);
  try {
    const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: result.bucket }));
    const object = await s3.send(new GetObjectCommand({ Bucket: result.bucket, Key: result.key }));
    const read = Buffer.from(await object.Body!.transformToByteArray());
    const same = createHash('sha256').update(read).digest('hex') === createHash('sha256').update(bytes).digest('hex');
    if (!same || Status !== 'Enabled' || !object.VersionId) {
      throw new RehearsalFailure(`the upload read back ${same ? 'intact' : 'different'}, bucket versioning ${Status ?? 'off'}, version ${object.VersionId ?? 'none'}`);
    }
    const byVersion = await s3.send(new GetObjectCommand({ Bucket: result.bucket, Key: result.key, VersionId: object.VersionId }));
    await byVersion.Body?.transformToByteArray();
    detail(`read back ${read.length} bytes, identical, version ${object.VersionId} of a versioned bucket (GET by VersionId too)`);

    const notification = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: result.bucket }));
    const lambdaTargets = (notification.LambdaFunctionConfigurations ?? []).map((config) => config.LambdaFunctionArn);
    if (!lambdaTargets.includes(outputs[STACK_OUTPUTS.functionArn]?.value)) {
      throw new RehearsalFailure(`the upload bucket does not notify ${outputs[STACK_OUTPUTS.functionArn]?.value} (it notifies ${lambdaTargets.join(', ') || 'nothing'})`);
    }
    detail(`the bucket sends ObjectCreated events to ${outputs[STACK_OUTPUTS.functionArn]?.value}`);

    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: outputs[STACK_OUTPUTS.table]?.value }));
    const hashKey = Table?.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
    const index = Table?.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === STATUS_INDEX.name);
    if (hashKey !== IMAGE_ID_ATTRIBUTE || !index) {
      throw new RehearsalFailure(`the table ${Table?.TableName} is keyed by ${hashKey} with indexes ${Table?.GlobalSecondaryIndexes?.map((gsi) => gsi.IndexName).join(', ') || 'none'}`);
    }
    detail(`table ${Table?.TableName}: hash key ${hashKey}, index ${STATUS_INDEX.name}, ${Table?.ItemCount ?? 0} items`);
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }

  progress(`imgopt status ${result.image_id} ${where.join(' ')}`);
  const status = imgopt(['status', result.image_id, ...where], env);
  const message = status.stderr.trim().split('\n').filter((line) => line.startsWith('imgopt:')).pop() ?? status.stderr.trim();
  if (status.code !== 1 || !message.includes(`no image ${result.image_id}`)) {
    throw new RehearsalFailure(`imgopt status should say the image is not in the table (nothing processed it); it exited ${status.code}: ${status.stdout}${status.stderr}`);
  }
  detail(`exit ${status.code}: ${message}  (expected: ${NO_LAMBDA_RUNTIME})`);
}

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--keep');
  if (unknown.length > 0) {
    console.error(`rehearse: unknown argument ${unknown[0]} (the only option is --keep: leave the scratch folder in place)`);
    return 1;
  }
  const keep = argv.includes('--keep');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-rehearsal-'));
  let code = 0;
  try {
    await rehearse(scratch);
    progress('Rehearsal passed');
  } catch (error) {
    code = 1;
    console.error(`rehearse: ${error instanceof RehearsalFailure ? error.message : (error as Error).stack ?? String(error)}`);
  } finally {
    if (keep) progress(`Kept the scratch folder ${scratch}`);
    else fs.rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`Total ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return code;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
