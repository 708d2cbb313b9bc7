/**
 * `npm run plan -- <env>`: synthesizes the stacks and plans ONE environment the way the pull request workflow
 * does, then prints the plan review summary (plan-review/plan-summary.ts) in the terminal.
 *
 *   npm run plan -- dev                  the real S3 backend, with your AWS credentials (profile, SSO, keys)
 *   npm run plan -- --env prod --offline local state and placeholder credentials: what the stack would create
 *   npm run plan -- dev --format markdown  the pull request comment instead of the terminal text
 *
 * The plan is saved in the stack's folder under `.build/plan/` (`terraform -chdir=<folder> show tfplan` prints
 * it in full). Applying is left to the pipeline: it applies the plan reviewed on the pull request, not this one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ENVIRONMENTS, buildApp } from '../main';
import { envSetting } from '../lib/env';
import { stackName } from '../lib/naming';
import { PolicyViolationError } from '../policies/policy-pack';
import { ConfigError, deploymentFromEnv } from '../stacks/settings';
import { CdkTfJson, renderPlanSummary, renderPlanText } from './plan-summary';
import { findTerraform, planStack } from './terraform';

const USAGE = 'Usage: npm run plan -- <env> [--offline] [--format text|markdown]   (env: dev, staging, prod, or the IMAGE_OPT_PREVIEW_SUFFIX preview)';

/** A mistake the person running the command can fix: one line on stderr, exit code 1. */
class UsageError extends Error {}

/**
 * Whether the AWS SDK in Terraform has anywhere to find credentials: environment keys, a profile, web identity,
 * a container endpoint, or the shared files (`aws configure`, `aws sso login`). A machine that relies on an EC2
 * instance profile alone should set AWS_PROFILE or keys; looking at the instance metadata would hang elsewhere.
 */
export function hasAwsCredentialSource(env: NodeJS.ProcessEnv, home: string = os.homedir()): boolean {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE) return true;
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return true;
  const shared = [env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config')];
  return shared.some((file) => fs.existsSync(file));
}

interface Request {
  readonly suffix: string;
  readonly offline: boolean;
  readonly format: 'text' | 'markdown';
}

function parseRequest(argv: readonly string[], env: NodeJS.ProcessEnv): Request {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { env: { type: 'string' }, offline: { type: 'boolean' }, format: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify .*$/s, '')}. ${USAGE}`);
  }
  const { values, positionals } = parsed;
  const requested = [...(values.env !== undefined ? [values.env] : []), ...positionals];
  if (requested.length !== 1) throw new UsageError(requested.length === 0 ? USAGE : `Plan one environment at a time (got ${requested.join(', ')}). ${USAGE}`);
  const suffix = requested[0];
  const preview = envSetting(env, 'PREVIEW_SUFFIX')?.trim();
  const known = [...Object.keys(ENVIRONMENTS), ...(preview ? [preview] : [])];
  if (!known.includes(suffix)) {
    throw new UsageError(`Unknown environment "${suffix}": expected ${known.join(', ')} (for a preview stack, set IMAGE_OPT_PREVIEW_SUFFIX=${suffix})`);
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'markdown') throw new UsageError(`Unknown --format ${format}: expected text or markdown`);
  return { suffix, offline: values.offline === true, format };
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const request = parseRequest(argv, process.env);
    const env: NodeJS.ProcessEnv = { ...process.env, ...(request.offline ? { IMAGE_OPT_OFFLINE: '1' } : {}) };
    // IMAGE_OPT_OFFLINE=1 in the environment means the same as --offline.
    const offline = deploymentFromEnv(env).offline;

    const lookup = findTerraform(env, { credentials: offline ? 'offline' : 'environment' });
    if ('unavailable' in lookup) throw new UsageError(`Cannot plan: ${lookup.unavailable}`);
    if (!offline && !hasAwsCredentialSource(env)) {
      throw new UsageError('No AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/config...): sign in first, or plan without AWS with --offline');
    }

    // One folder per mode: the local and the S3 backend each keep their own `terraform init` (providers, backend).
    const outdir = path.resolve(__dirname, '..', '.build', 'plan', offline ? 'offline' : 'remote');
    fs.mkdirSync(outdir, { recursive: true });
    buildApp(env, outdir).synth();
    const stack = stackName(request.suffix);
    const dir = path.join(outdir, 'stacks', stack);
    const where = offline ? 'offline, local state' : 'S3 backend';
    process.stderr.write(`Planning ${stack} (${where}, providers from the ${lookup.terraform.source})...\n`);

    const result = await planStack(lookup.terraform, dir, { lock: false });
    const cdkJson = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as CdkTfJson;
    process.stdout.write(
      request.format === 'markdown'
        ? renderPlanSummary(stack, result.plan, { cdkJson, planText: result.text })
        : renderPlanText(stack, result.plan, { cdkJson }),
    );
    process.stderr.write(`\nSaved plan: ${path.relative(process.cwd(), result.planFile)} (terraform -chdir=${path.relative(process.cwd(), dir)} show tfplan)\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
    } else if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`Invalid configuration: ${problem}\n`);
    } else if (error instanceof PolicyViolationError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      // Terraform's own diagnostics (backend access denied, provider errors) are the message: no stack trace.
      process.stderr.write(`Plan failed: ${(error as Error).message.trimEnd()}\n`);
    }
    return 1;
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
