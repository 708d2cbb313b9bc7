import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleProcessor } from '../../packaging/bundle';
import { uploadSuffixes } from '../../lib/formats';
import { buildApp } from '../../main';
import { PlanResult, Terraform, findTerraform, planStack, runTerraform } from '../../plan-review/terraform';

/*
 * Real `terraform init`, `validate` and `plan` of every synthesized stack, offline: providers from the mirror in
 * TF_PLUGIN_MIRROR (set by .ci/run), or from the registry where there is a network. Where neither exists, or there
 * is no terraform binary, the suite is skipped and says why.
 *
 * The same for the HCL that `cdktf synth --hcl` writes (the way out of CDKTF): the app run exactly as the CLI runs
 * it (cdktf.json's "app", `node bin/synth.js`, with SYNTH_HCL_OUTPUT=true and CDKTF_OUTDIR), without the CLI's
 * formatting pass afterwards, which changes only whitespace (and the CLI takes 7-12 s here against ~1.5 s).
 */
const lookup = findTerraform();
// The reason is printed by the global setup (jest shows no output of a skipped suite) and kept in the suite's name.
const describeWithTerraform = 'terraform' in lookup ? describe : describe.skip;
const suiteName = 'terraform' in lookup ? 'terraform validate and plan' : `terraform validate and plan (skipped: ${lookup.unavailable})`;

/** The stacks `npm run synth` writes. */
const SUFFIXES = ['dev', 'staging', 'prod'];

/** What Terraform makes of a stack written as HCL. */
interface HclCheck {
  /** Warnings of `terraform init -backend=false`, less the one a filesystem mirror always causes. */
  readonly initWarnings: string[];
  /** `terraform validate -json`. */
  readonly validate: { valid: boolean; error_count: number; warning_count: number; diagnostics: { severity: string; summary: string }[] };
  readonly plan: PlanResult;
}

/**
 * Installing from a filesystem mirror, Terraform can only record the checksum of this machine's platform in the
 * lock file and says so on every init, whatever the configuration: that warning is about the mirror, not the HCL.
 */
const MIRROR_LOCK_WARNING = 'Incomplete lock file information for providers';

async function checkHcl(terraform: Terraform, dir: string): Promise<HclCheck> {
  const init = await runTerraform(terraform, dir, ['init', '-backend=false', '-input=false']);
  const initWarnings = [...`${init.stdout}\n${init.stderr}`.matchAll(/^Warning: (.+)$/gm)]
    .map((match) => match[1].trim())
    .filter((warning) => warning !== MIRROR_LOCK_WARNING);
  const validate = JSON.parse((await runTerraform(terraform, dir, ['validate', '-json'])).stdout);
  // planStack initializes again, with the stack's local backend: a plan needs one.
  return { initWarnings, validate, plan: await planStack(terraform, dir, { validate: false }) };
}

/** Every planned resource change by address, with what it would create. */
function changesByAddress(plan: PlanResult): Map<string, Json> {
  return new Map((plan.plan.resource_changes as Json[]).map((change) => [change.address, change.change]));
}

describeWithTerraform(suiteName, () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-plan-'));
  const hclOutdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-hcl-'));
  const plans = new Map<string, PlanResult>();
  const hcl = new Map<string, HclCheck>();

  beforeAll(async () => {
    // eu-west-1 also exercises the second (us-east-1) provider that the CDN alarms use.
    const env = { IMAGE_OPT_OFFLINE: '1', IMAGE_OPT_REGION: 'eu-west-1' };
    buildApp(env, outdir).synth();
    // In a child process: cdktf's stacks read SYNTH_HCL_OUTPUT from the process environment, not from the App.
    execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'synth.js')], {
      env: { ...process.env, ...env, SYNTH_HCL_OUTPUT: 'true', CDKTF_OUTDIR: hclOutdir },
      stdio: 'pipe',
    });
    if (!('terraform' in lookup)) return;
    const stackDir = (root: string, suffix: string) => path.join(root, 'stacks', `image-optimization-${suffix}`);
    // Two at a time: a plan is CPU-bound and these machines have two cores.
    for (let i = 0; i < SUFFIXES.length; i += 2) {
      await Promise.all(
        SUFFIXES.slice(i, i + 2).map(async (suffix) => {
          plans.set(suffix, await planStack(lookup.terraform, stackDir(outdir, suffix)));
          hcl.set(suffix, await checkHcl(lookup.terraform, stackDir(hclOutdir, suffix)));
        }),
      );
    }
  }, 15 * 60_000);

  afterAll(() => {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(hclOutdir, { recursive: true, force: true });
  });

  test.each(SUFFIXES)('image-optimization-%s validates and plans only creations', (suffix) => {
    const { summary, plan } = plans.get(suffix)!;
    expect(summary).toEqual({ add: expect.any(Number), change: 0, destroy: 0, replace: 0 });
    expect(summary.add).toBeGreaterThan(50);
    const types = new Set((plan.resource_changes as { type: string }[]).map((change) => change.type));
    for (const type of [
      'aws_s3_bucket', 'aws_s3_bucket_versioning', 'aws_s3_bucket_accelerate_configuration', 'aws_s3_bucket_cors_configuration',
      'aws_dynamodb_table', 'aws_lambda_function', 'aws_lambda_function_event_invoke_config', 'aws_sqs_queue',
      'aws_s3_bucket_notification', 'aws_lambda_permission', 'aws_cloudfront_distribution', 'aws_cloudfront_function',
      'aws_cloudwatch_dashboard', 'aws_cloudwatch_metric_alarm', 'aws_sns_topic',
    ]) {
      expect(types).toContain(type);
    }
  });

  test('plans the notification for every suffix and the function from the bundled archive', () => {
    const { plan } = plans.get('dev')!;
    const changes = plan.resource_changes as { type: string; change: { after: Record<string, unknown> } }[];
    const notification = changes.find((c) => c.type === 'aws_s3_bucket_notification')!.change.after;
    expect((notification.lambda_function as { filter_suffix: string }[]).map((f) => f.filter_suffix).sort()).toEqual(uploadSuffixes());
    const fn = changes.find((c) => c.type === 'aws_lambda_function')!.change.after;
    expect(fn).toMatchObject({
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      source_code_hash: bundleProcessor({ architecture: 'arm64' }).sourceCodeHash,
    });
    expect(fs.existsSync(path.join(outdir, 'stacks', 'image-optimization-dev', fn.filename as string))).toBe(true);
  });

  test('plans the CDN alarms with the us-east-1 provider', () => {
    const { plan } = plans.get('prod')!;
    const alarms = (plan.configuration.root_module.resources as { type: string; provider_config_key: string; expressions: Json }[])
      .filter((r) => r.type === 'aws_cloudwatch_metric_alarm');
    const edge = alarms.filter((a) => a.provider_config_key === 'aws.us_east_1').map((a) => a.expressions.alarm_name.constant_value);
    expect(edge.sort()).toEqual(['imgopt-prod-cdn-4xx-rate', 'imgopt-prod-cdn-5xx-rate', 'imgopt-prod-cdn-cache-hit-rate']);
  });

  test.each(SUFFIXES)('image-optimization-%s written as HCL initializes and validates with no error and no warning', (suffix) => {
    const { initWarnings, validate } = hcl.get(suffix)!;
    expect(fs.existsSync(path.join(hclOutdir, 'stacks', `image-optimization-${suffix}`, 'cdk.tf'))).toBe(true);
    expect(initWarnings).toEqual([]);
    expect(validate.diagnostics.map((d) => `${d.severity}: ${d.summary}`)).toEqual([]);
    expect(validate).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
  });

  test.each(SUFFIXES)('image-optimization-%s written as HCL plans the same resources, with the same values, as its JSON', (suffix) => {
    const fromHcl = hcl.get(suffix)!.plan;
    const fromJson = plans.get(suffix)!;
    expect(fromHcl.summary).toEqual(fromJson.summary);
    const hclChanges = changesByAddress(fromHcl);
    const jsonChanges = changesByAddress(fromJson);
    expect([...hclChanges.keys()].sort()).toEqual([...jsonChanges.keys()].sort());
    for (const [address, change] of jsonChanges) expect({ address, ...hclChanges.get(address) }).toEqual({ address, ...change });
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
