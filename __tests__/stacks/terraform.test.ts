import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleProcessor } from '../../packaging/bundle';
import { uploadSuffixes } from '../../lib/formats';
import { buildApp } from '../../main';
import { PlanResult, findTerraform, planStack } from '../../plan-review/terraform';

/*
 * Real `terraform init`, `validate` and `plan` of every synthesized stack, offline: providers from the mirror in
 * TF_PLUGIN_MIRROR (set by .ci/run), or from the registry where there is a network. Where neither exists, or there
 * is no terraform binary, the suite is skipped and says why.
 */
const lookup = findTerraform();
// The reason is printed by the global setup (jest shows no output of a skipped suite) and kept in the suite's name.
const describeWithTerraform = 'terraform' in lookup ? describe : describe.skip;
const suiteName = 'terraform' in lookup ? 'terraform validate and plan' : `terraform validate and plan (skipped: ${lookup.unavailable})`;

/** The stacks `npm run synth` writes. */
const SUFFIXES = ['dev', 'staging', 'prod'];

describeWithTerraform(suiteName, () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-plan-'));
  const plans = new Map<string, PlanResult>();

  beforeAll(async () => {
    // eu-west-1 also exercises the second (us-east-1) provider that the CDN alarms use.
    buildApp({ IMAGE_OPT_OFFLINE: '1', IMAGE_OPT_REGION: 'eu-west-1' }, outdir).synth();
    if (!('terraform' in lookup)) return;
    // Two at a time: a plan is CPU-bound and these machines have two cores.
    for (let i = 0; i < SUFFIXES.length; i += 2) {
      await Promise.all(
        SUFFIXES.slice(i, i + 2).map(async (suffix) => {
          plans.set(suffix, await planStack(lookup.terraform, path.join(outdir, 'stacks', `image-optimization-${suffix}`)));
        }),
      );
    }
  }, 15 * 60_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

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
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
