/**
 * Running Terraform on synthesized stacks: `terraform init`, `validate`, `plan` and `show -json`, against the
 * provider from a local mirror (`TF_PLUGIN_MIRROR`, a folder holding `registry.terraform.io/hashicorp/aws/...`) or,
 * failing that, from the registry over the network.
 *
 * By default without AWS credentials: the stacks must then have been synthesized offline (`IMAGE_OPT_OFFLINE=1`:
 * local backend, provider skip flags). With `credentials: 'environment'` the caller's own AWS credentials and
 * Terraform CLI configuration are used, for a plan against the real S3 backend.
 * Used by the test suite, `npm run plan` and `npm run plan:offline`.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { terraformBinary } from '../lib/terraform-binary';
import { actionOf } from './plan-summary';

export interface Terraform {
  readonly binary: string;
  /** Where providers come from. */
  readonly source: 'mirror' | 'network';
  readonly env: NodeJS.ProcessEnv;
}

export type TerraformLookup = { readonly terraform: Terraform } | { readonly unavailable: string };

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  /** Resources to be replaced (destroyed and created again). */
  readonly replace: number;
}

export interface PlanResult {
  readonly summary: PlanSummary;
  /** `terraform show -json` of the saved plan. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly plan: Record<string, any>;
  /** What `terraform plan` printed: the plan as a person reads it. */
  readonly text: string;
  /** The saved plan file (`terraform apply <planFile>` applies exactly this plan). */
  readonly planFile: string;
}

export interface FindOptions {
  /**
   * `offline`: placeholder AWS credentials, for stacks synthesized with the offline switch (their provider skips
   * every credential check). `environment`: the caller's own credentials and Terraform CLI configuration, untouched
   * except for the provider mirror when `TF_PLUGIN_MIRROR` is set.
   *
   * @default 'offline'
   */
  readonly credentials?: 'offline' | 'environment';
}

/**
 * Finds a way to run Terraform here, or says why there is none: no binary, or neither a provider mirror nor a
 * network path to the Terraform registry.
 */
export function findTerraform(env: NodeJS.ProcessEnv = process.env, options: FindOptions = {}): TerraformLookup {
  const binary = terraformBinary(env);
  if (!binary) return { unavailable: 'no terraform binary on the PATH (set TERRAFORM_BINARY to use another)' };

  const mirror = env.TF_PLUGIN_MIRROR;
  let source: Terraform['source'];
  let cliConfig = 'disable_checkpoint = true\n';
  if (mirror) {
    if (!fs.existsSync(path.join(mirror, 'registry.terraform.io'))) {
      return { unavailable: `TF_PLUGIN_MIRROR=${mirror} holds no registry.terraform.io folder` };
    }
    source = 'mirror';
    cliConfig = `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
${cliConfig}`;
  } else if (registryReachable()) {
    source = 'network';
  } else {
    return { unavailable: 'TF_PLUGIN_MIRROR is not set and registry.terraform.io cannot be reached' };
  }

  const automation = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  if (options.credentials === 'environment') {
    // A person's own CLI configuration (plugin cache, credentials for private registries) stays in force.
    const config = source === 'mirror' ? { TF_CLI_CONFIG_FILE: writeCliConfig(cliConfig) } : {};
    return { terraform: { binary, source, env: { ...env, ...config, ...automation } } };
  }
  return {
    terraform: {
      binary,
      source,
      env: {
        ...env,
        TF_CLI_CONFIG_FILE: writeCliConfig(cliConfig),
        ...automation,
        // Offline stacks skip the credential check, but the provider still wants something to hold.
        AWS_ACCESS_KEY_ID: 'offline-plan',
        AWS_SECRET_ACCESS_KEY: 'offline-plan',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_REGION: env.AWS_REGION ?? 'us-east-1',
      },
    },
  };
}

/** A CLI configuration file for this process, removed when it exits. */
function writeCliConfig(cliConfig: string): string {
  const configFile = path.join(os.tmpdir(), `image-optimization-${process.pid}.tfrc`);
  fs.writeFileSync(configFile, cliConfig);
  process.once('exit', () => fs.rmSync(configFile, { force: true }));
  return configFile;
}

/**
 * Whether the Terraform registry answers within a few seconds (checked in a child process, so this stays sync).
 * The answer is kept in the environment, so processes started afterwards (test workers) do not wait for it again.
 */
function registryReachable(timeoutMs = 4000): boolean {
  const known = process.env.IMAGE_OPT_TERRAFORM_REGISTRY;
  if (known === 'reachable' || known === 'unreachable') return known === 'reachable';
  const probe = `require('node:https').request('https://registry.terraform.io/.well-known/terraform.json', { method: 'HEAD', timeout: ${timeoutMs} }, (r) => process.exit(r.statusCode < 500 ? 0 : 1)).on('timeout', () => process.exit(1)).on('error', () => process.exit(1)).end()`;
  const reachable = spawnSync(process.execPath, ['-e', probe], { timeout: timeoutMs + 1000, stdio: 'ignore' }).status === 0;
  process.env.IMAGE_OPT_TERRAFORM_REGISTRY = reachable ? 'reachable' : 'unreachable';
  return reachable;
}

export interface TerraformRun {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one terraform command in a stack's folder; a failure is an Error carrying Terraform's own message. */
export function runTerraform(terraform: Terraform, dir: string, args: string[]): Promise<TerraformRun> {
  return new Promise((resolve, reject) => {
    execFile(
      terraform.binary,
      [...args, '-no-color'],
      { cwd: dir, env: terraform.env, maxBuffer: 256 * 1024 * 1024, timeout: 15 * 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`terraform ${args[0]} failed in ${dir}:\n${stderr || stdout || error.message}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

export interface PlanOptions {
  /**
   * Run `terraform validate` before the plan.
   *
   * @default true
   */
  readonly validate?: boolean;
  /**
   * Refresh the state from AWS before planning. `false` plans against the state as recorded, with no AWS calls.
   *
   * @default true
   */
  readonly refresh?: boolean;
  /**
   * Hold the state lock while planning. A plan writes no state, so reviewers' plans can go without the lock (and
   * without write access to the state bucket).
   *
   * @default true
   */
  readonly lock?: boolean;
}

/** init, validate and plan one synthesized stack folder; returns the plan and its summary. */
export async function planStack(terraform: Terraform, dir: string, options: PlanOptions = {}): Promise<PlanResult> {
  // -reconfigure: a plan never migrates state, even when the backend settings changed since the last init.
  await runTerraform(terraform, dir, ['init', '-input=false', '-reconfigure']);
  if (options.validate ?? true) await runTerraform(terraform, dir, ['validate']);
  const flags = [...(options.refresh === false ? ['-refresh=false'] : []), ...(options.lock === false ? ['-lock=false'] : [])];
  const { stdout: text } = await runTerraform(terraform, dir, ['plan', '-input=false', ...flags, '-out=tfplan']);
  const { stdout } = await runTerraform(terraform, dir, ['show', '-json', 'tfplan']);
  const plan = JSON.parse(stdout);
  return { plan, summary: summarizePlan(plan), text, planFile: path.join(dir, 'tfplan') };
}

/** Counts per action; the same classification as the plan review summary (plan-review/plan-summary.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function summarizePlan(plan: Record<string, any>): PlanSummary {
  const summary = { add: 0, change: 0, destroy: 0, replace: 0 };
  for (const change of plan.resource_changes ?? []) {
    if (change.mode === 'data') continue;
    const action = actionOf(change.change?.actions ?? []);
    if (action === 'replace') summary.replace += 1;
    else if (action === 'create') summary.add += 1;
    else if (action === 'update') summary.change += 1;
    else if (action === 'delete') summary.destroy += 1;
  }
  return summary;
}
