/**
 * A deployed environment's stack outputs (upload_bucket, cloudfront_distribution, dynamodb_table,
 * failure_queue_url, lambda_function...): from the file `cdktf deploy --outputs-file <file>` wrote, or from
 * `terraform output -json` in the synthesized stack's folder (what `cdktf deploy` initialized and applied).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stackName, suffixProblems } from '../lib/naming';
import { PROJECT_ROOT } from '../lib/project-root';
import { STACK_OUTPUTS, StackOutputName } from '../lib/stack-outputs';
import { terraformBinary } from '../lib/terraform-binary';
import { UsageError, UserError } from './errors';

/** What the command line needs of a deployment; the function's ARN, when there, names the region. */
const REQUIRED = [
  STACK_OUTPUTS.uploadBucket,
  STACK_OUTPUTS.distributionDomain,
  STACK_OUTPUTS.table,
  STACK_OUTPUTS.functionName,
  STACK_OUTPUTS.failureQueueUrl,
] as const;

export type StackOutputs = Readonly<Record<(typeof REQUIRED)[number], string>> & Readonly<Partial<Record<StackOutputName, string>>>;

export function readStackOutputs(suffix: string, outputsFile?: string): StackOutputs {
  const problems = suffixProblems(suffix);
  if (problems.length > 0) throw new UsageError(problems[0]);
  const stack = stackName(suffix);
  const raw = outputsFile ? fromOutputsFile(outputsFile, stack) : fromTerraform(suffix, stack);
  const outputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    // terraform output -json wraps each value ({ value, type, sensitive }); cdktf's outputs file does not.
    const plain = typeof value === 'object' && value !== null && 'value' in value ? (value as { value: unknown }).value : value;
    if (typeof plain === 'string') outputs[name] = plain;
  }
  const missing = REQUIRED.filter((name) => !outputs[name]);
  if (missing.length === REQUIRED.length) {
    throw new UserError(`no outputs for ${stack}: deploy it first (cdktf deploy ${stack})`);
  }
  if (missing.length > 0) throw new UserError(`the outputs of ${stack} lack ${missing.join(', ')}: deploy the current version (cdktf deploy ${stack})`);
  return outputs as unknown as StackOutputs;
}

function fromOutputsFile(file: string, stack: string): Record<string, unknown> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UserError(`cannot read the outputs file ${file}: ${reason}`);
  }
  // `cdktf deploy --outputs-file` writes { "<stack>": { ...outputs } }; a single stack's outputs are accepted too.
  const forStack = json[stack];
  if (forStack && typeof forStack === 'object') return forStack as Record<string, unknown>;
  if ('upload_bucket' in json) return json;
  const stacks = Object.keys(json).filter((key) => key.startsWith('image-optimization-'));
  throw new UserError(`the outputs file ${file} has no outputs for ${stack}${stacks.length ? ` (it has ${stacks.join(', ')})` : ''}`);
}

function fromTerraform(suffix: string, stack: string): Record<string, unknown> {
  const dir = path.join(PROJECT_ROOT, 'cdktf.out', 'stacks', stack);
  if (!fs.existsSync(path.join(dir, '.terraform'))) {
    throw new UserError(`no outputs for ${stack}: deploy it first (cdktf deploy ${stack}), or pass --outputs-file`);
  }
  const binary = terraformBinary();
  if (!binary) throw new UserError(`terraform is not on the PATH, so the outputs of ${stack} cannot be read: pass --outputs-file`);
  const run = spawnSync(binary, ['output', '-json', '-no-color'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' },
    timeout: 60_000,
  });
  if (run.status !== 0) {
    const reason = (run.stderr || run.error?.message || '').split('\n').map((line) => line.trim()).find((line) => line && !/^[│╷╵]*$/.test(line));
    throw new UserError(`cannot read the outputs of ${stack} (environment ${suffix}): terraform output failed: ${(reason ?? 'no message').replace(/^[│\s]*(Error:\s*)?/, '')}`);
  }
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    throw new UserError(`cannot read the outputs of ${stack}: terraform output printed no JSON`);
  }
}
