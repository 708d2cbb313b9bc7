import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../main';
import {
  CdkTfJson,
  PlanJson,
  analyzePlan,
  planMarker,
  renderPlanError,
  renderPlanSummary,
  renderPlanText,
} from '../../plan-review/plan-summary';
import { PlanResult, findTerraform, planStack } from '../../plan-review/terraform';

/*
 * The plan review summary, run on REAL offline plans of a synthesized stack (providers from TF_PLUGIN_MIRROR or the
 * registry), whose counts are checked against the plan JSON and against Terraform's own "Plan:" line. Where there is
 * no terraform or no provider, that part is skipped with the reason the global setup prints; the renderer's edge
 * cases and the command lines' mistakes are tested on small hand-made plans either way.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const STACK = 'image-optimization-dev';
const lookup = findTerraform();
const describeWithTerraform = 'terraform' in lookup ? describe : describe.skip;
const suiteName = 'terraform' in lookup ? 'plan summary of real plans' : `plan summary of real plans (skipped: ${lookup.unavailable})`;

type Counts = { create: number; update: number; replace: number; delete: number };

/** Counted straight from the plan JSON, by exact action lists, without the code under test. */
function countActions(plan: PlanJson): Counts {
  const counts: Counts = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const change of plan.resource_changes ?? []) {
    if (change.mode !== 'managed') continue;
    const actions = change.change.actions.join(',');
    if (actions === 'create') counts.create += 1;
    else if (actions === 'update') counts.update += 1;
    else if (actions === 'delete,create' || actions === 'create,delete') counts.replace += 1;
    else if (actions === 'delete') counts.delete += 1;
    else expect(actions).toBe('no-op');
  }
  return counts;
}

/** Terraform's own summary line, from what `terraform plan` printed. */
function terraformPlanLine(text: string): { add: number; change: number; destroy: number } {
  const match = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(text);
  if (!match) throw new Error(`no "Plan:" line in the plan output:\n${text.slice(-2000)}`);
  return { add: Number(match[1]), change: Number(match[2]), destroy: Number(match[3]) };
}

/** `[type, logical id, configuration]` of the resource synthesized at a construct path (`uploads/bucket`). */
function resourceAt(cdkJson: CdkTfJson, constructPath: string): [string, string, Record<string, unknown>] {
  for (const [type, byName] of Object.entries(cdkJson.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      if (config['//']?.metadata?.path === `${STACK}/${constructPath}`) return [type, name, config as Record<string, unknown>];
    }
  }
  throw new Error(`nothing synthesized at ${constructPath}`);
}

/**
 * The stack as deployed before a change, written by hand (an offline provider cannot create anything): the upload
 * bucket under its former name, the log group with a longer retention, and the metadata table under the construct
 * id it had before it was renamed to `metadata`. Planned with -refresh=false, so the provider never asks AWS.
 */
function deployedState(cdkJson: CdkTfJson): object {
  const [bucketType, bucketId] = resourceAt(cdkJson, 'uploads/bucket');
  const [logType, logId, logConfig] = resourceAt(cdkJson, 'processor/log-group');
  const provider = 'provider["registry.terraform.io/hashicorp/aws"]';
  const tags = { Environment: 'dev', ManagedBy: 'cdktf', Project: 'image-optimization' };
  const resource = (type: string, name: string, schemaVersion: number, attributes: object) => ({
    mode: 'managed',
    type,
    name,
    provider,
    instances: [{ schema_version: schemaVersion, attributes, sensitive_attributes: [] }],
  });
  const formerBucket = 'imgopt-uploads-dev-2023';
  return {
    version: 4,
    terraform_version: '1.11.4',
    serial: 7,
    lineage: '5b0d2c1e-8f3a-4e6b-9d7c-2a1f0e3b4c5d',
    outputs: {},
    resources: [
      resource(bucketType, bucketId, 0, {
        id: formerBucket,
        bucket: formerBucket,
        arn: `arn:aws:s3:::${formerBucket}`,
        force_destroy: true,
        tags: {},
        tags_all: tags,
      }),
      resource(logType, logId, 0, {
        id: logConfig.name,
        name: logConfig.name,
        arn: `arn:aws:logs:us-east-1:000000000000:log-group:${logConfig.name}`,
        retention_in_days: Number(logConfig.retention_in_days) * 2,
        log_group_class: 'STANDARD',
        skip_destroy: false,
        tags: {},
        tags_all: tags,
      }),
      resource('aws_dynamodb_table', 'images_table_5E0C1A7B', 1, {
        id: 'imgopt-metadata-dev',
        name: 'imgopt-metadata-dev',
        arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/imgopt-metadata-dev',
        hash_key: 'image_id',
        billing_mode: 'PAY_PER_REQUEST',
        tags: {},
        tags_all: tags,
      }),
    ],
  };
}

function run(script: string, args: string[]) {
  return spawnSync(process.execPath, ['-r', 'esbuild-register', path.join(ROOT, 'plan-review', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

describeWithTerraform(suiteName, () => {
  // Made in beforeAll: a skipped suite still runs this body, but not its hooks.
  let outdir: string | undefined;
  let dir: string;
  let cdkJson: CdkTfJson;
  let first: PlanResult;
  let second: PlanResult;

  beforeAll(async () => {
    if (!('terraform' in lookup)) return;
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-plan-summary-'));
    dir = path.join(outdir, 'stacks', STACK);
    buildApp({ IMAGE_OPT_OFFLINE: '1' }, outdir).synth();
    cdkJson = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
    // The terraform suite validates every stack; here the plans are what matters.
    first = await planStack(lookup.terraform, dir, { validate: false });
    const statePath = (cdkJson as { terraform: { backend: { local: { path: string } } } }).terraform.backend.local.path;
    fs.writeFileSync(path.join(dir, statePath), JSON.stringify(deployedState(cdkJson), null, 2));
    second = await planStack(lookup.terraform, dir, { validate: false, refresh: false });
  }, 10 * 60_000);

  afterAll(() => outdir && fs.rmSync(outdir, { recursive: true, force: true }));

  describe('a new stack', () => {
    test('counts what the plan holds and what terraform printed', () => {
      const expected = countActions(first.plan);
      expect(expected).toEqual({ create: expect.any(Number), update: 0, replace: 0, delete: 0 });
      expect(expected.create).toBeGreaterThan(50);
      const { counts } = analyzePlan(first.plan, cdkJson);
      expect(counts).toEqual({ ...expected, forget: 0 });
      expect(terraformPlanLine(first.text)).toEqual({ add: expected.create, change: 0, destroy: 0 });

      const markdown = renderPlanSummary(STACK, first.plan, { cdkJson });
      expect(markdown).toContain(`| ${expected.create} | 0 | 0 | 0 |`);
      expect(renderPlanText(STACK, first.plan, { cdkJson })).toContain(`${STACK}: ${expected.create} to create, 0 to update, 0 to replace, 0 to delete`);
    });

    test('starts with the hidden marker and flags nothing', () => {
      const markdown = renderPlanSummary(STACK, first.plan, { cdkJson, planText: first.text });
      expect(markdown.split('\n')[0]).toBe(`<!-- imgopt-plan:${STACK} -->`);
      expect(markdown).not.toMatch(/DATA LOSS|\[!CAUTION\]|\[!WARNING\]|\*\*(replace|delete)\*\*/);
    });

    test('lists every managed resource under the construct cdktf recorded for it', () => {
      const { changes } = analyzePlan(first.plan, cdkJson);
      const managed = (first.plan.resource_changes as { mode: string; address: string }[]).filter((c) => c.mode === 'managed');
      expect(changes.map((c) => c.address).sort()).toEqual(managed.map((c) => c.address).sort());
      for (const change of changes) {
        const [type, name] = change.address.split('.');
        const recorded = cdkJson.resource![type][name]['//']!.metadata!.path!;
        expect(`${STACK}/${change.constructPath}`).toBe(recorded);
        expect(change.group).toBe(change.constructPath!.split('/').slice(0, -1).join('/'));
      }
      const markdown = renderPlanSummary(STACK, first.plan, { cdkJson });
      for (const group of ['uploads', 'optimized/avif', 'optimized/webp', 'metadata', 'processor', 'upload-notifications', 'cdn', 'monitoring']) {
        expect(markdown).toContain(`| \`${group}\` |`);
      }
      for (const { address } of managed) expect(markdown).toContain(`\`${address}\``);
    });

    test('fits the full plan text into one GitHub comment', () => {
      expect(first.text.length).toBeGreaterThan(65_536);
      const markdown = renderPlanSummary(STACK, first.plan, { cdkJson, planText: first.text, runUrl: 'https://github.com/o/r/actions/runs/1' });
      expect(markdown.length).toBeLessThanOrEqual(60_000);
      expect(markdown).toMatch(/<details><summary>Full plan \(terraform show; replacements, deletions and updates first\)<\/summary>\n\n(`{3,})\nTerraform used the selected providers[^]*\n\1\n\n<\/details>\n$/);
      expect(markdown).toContain("more lines not shown: the full plan is in the [plan run](https://github.com/o/r/actions/runs/1)'s artifacts\n");
    });
  });

  describe('a changed stack: renamed bucket, shorter log retention, table under a renamed construct', () => {
    test('counts what the plan holds and what terraform printed', () => {
      const expected = countActions(second.plan);
      const created = countActions(first.plan).create;
      // The bucket and the log group exist now; the table's new address is created while the old one is deleted.
      expect(expected).toEqual({ create: created - 2, update: 1, replace: 1, delete: 1 });
      expect(analyzePlan(second.plan, cdkJson).counts).toEqual({ ...expected, forget: 0 });
      expect(terraformPlanLine(second.text)).toEqual({ add: created - 1, change: 1, destroy: 2 });
      const markdown = renderPlanSummary(STACK, second.plan, { cdkJson });
      expect(markdown).toContain(`| ${created - 2} | 1 | **1** | **1** |`);
      expect(markdown).toContain(`Terraform counts this as ${created - 1} to add, 1 to change, 2 to destroy (a replacement is one add and one destroy).`);
    });

    test('terraform replaces the bucket because of its name', () => {
      const [, bucketId] = resourceAt(cdkJson, 'uploads/bucket');
      const bucket = (second.plan.resource_changes as { address: string; action_reason: string; change: { actions: string[]; replace_paths: unknown } }[])
        .find((c) => c.address === `aws_s3_bucket.${bucketId}`)!;
      expect(bucket.change.actions).toEqual(['delete', 'create']);
      expect(bucket.change.replace_paths).toEqual([['bucket']]);
      expect(bucket.action_reason).toBe('replace_because_cannot_update');

      const change = analyzePlan(second.plan, cdkJson).changes.find((c) => c.address === bucket.address)!;
      expect(change).toMatchObject({ action: 'replace', constructPath: 'uploads/bucket', group: 'uploads', replacePaths: ['bucket'] });
      // dev's buckets have force_destroy on, so nothing would stop the apply.
      expect(change.dataLoss).toBe('every object in the bucket is deleted with it (force_destroy is on)');
    });

    test('flags the replacement and the deletion as DATA LOSS, in bold, above the counts', () => {
      const [, bucketId] = resourceAt(cdkJson, 'uploads/bucket');
      const markdown = renderPlanSummary(STACK, second.plan, { cdkJson, planText: second.text });
      const top = markdown.slice(0, markdown.indexOf('| create | update | replace | delete |'));
      expect(top).toContain('> [!CAUTION]');
      expect(top).toContain(
        `> - **DATA LOSS: \`aws_s3_bucket.${bucketId}\` (\`uploads/bucket\`) will be replaced: \`bucket\` forces replacement; every object in the bucket is deleted with it (force_destroy is on)**`,
      );
      expect(top).toMatch(/> - \*\*DATA LOSS: `aws_dynamodb_table.images_table_5E0C1A7B` will be deleted: it is no longer in the configuration .*every item in the table is lost.*\*\*/);
      expect(markdown).toContain(`| **replace** | \`aws_s3_bucket.${bucketId}\` | \`bucket\` (forces replacement) |`);
      expect(markdown).toContain('| `images` | **delete** | `aws_dynamodb_table.images_table_5E0C1A7B` |');
    });

    test("shows terraform's own diff of the replacement first in the full plan, where truncation cannot hide it", () => {
      const markdown = renderPlanSummary(STACK, second.plan, { cdkJson, planText: second.text });
      // In Terraform's order (by address) the bucket's diff lies beyond what fits in the comment beside the table.
      expect(second.text.indexOf('# forces replacement')).toBeGreaterThan(60_000 - markdown.indexOf('<details>'));
      const actions = markdown.slice(markdown.indexOf('Terraform will perform the following actions:'));
      const headers = actions.split('\n').filter((line) => /^ {2}# \S+ (will|must) /.test(line));
      expect(headers.slice(0, 3)).toEqual([
        '  # aws_dynamodb_table.images_table_5E0C1A7B will be destroyed',
        expect.stringMatching(/^ {2}# aws_s3_bucket\.\S+ must be replaced$/),
        expect.stringMatching(/^ {2}# aws_cloudwatch_log_group\.\S+ will be updated in-place$/),
      ]);
      expect(actions).toMatch(/~ bucket +?= "imgopt-uploads-dev-2023" -> "imgopt-uploads-dev" # forces replacement/);
      expect(markdown.length).toBeLessThanOrEqual(60_000);
    });

    test('names the attribute an in-place update changes, and nothing else', () => {
      const [, logId] = resourceAt(cdkJson, 'processor/log-group');
      const update = analyzePlan(second.plan, cdkJson).changes.find((c) => c.action === 'update')!;
      expect(update).toMatchObject({ address: `aws_cloudwatch_log_group.${logId}`, group: 'processor', changedAttributes: ['retention_in_days'] });
    });

    test('says the same in the terminal', () => {
      const text = renderPlanText(STACK, second.plan, { cdkJson });
      const created = countActions(first.plan).create;
      expect(text.split('\n')[0]).toBe(`${STACK}: ${created - 2} to create, 1 to update, 1 to replace, 1 to delete`);
      expect(text).toMatch(/\n {2}DATA LOSS: aws_s3_bucket\.\S+ \(uploads\/bucket\) will be replaced: bucket forces replacement/);
      expect(text).toMatch(/\n {2}DATA LOSS: aws_dynamodb_table\.images_table_5E0C1A7B will be deleted/);
      expect(text).toMatch(/\n {2}processor +\d+ to create, 1 to update\n {4}~ {3}aws_cloudwatch_log_group\.\S+ {2}retention_in_days\n/);
    });
  });

  describe('command line (what the workflow runs)', () => {
    test('prints the same Markdown as the function, finding cdk.tf.json beside the plan', () => {
      const planFile = path.join(dir, 'plan.json');
      fs.writeFileSync(planFile, JSON.stringify(second.plan));
      fs.writeFileSync(path.join(dir, 'plan.txt'), second.text);
      const markdown = run('plan-summary.ts', [planFile, '--plan-text', path.join(dir, 'plan.txt'), '--commit', 'abcdef0123456789']);
      expect(markdown.stderr).toBe('');
      expect(markdown.status).toBe(0);
      expect(markdown.stdout).toBe(renderPlanSummary(STACK, second.plan, { cdkJson, planText: second.text, commit: 'abcdef0123456789' }));

      const text = run('plan-summary.ts', [planFile, '--format', 'text', '--stack', 'renamed']);
      expect(text.status).toBe(0);
      expect(text.stdout).toBe(renderPlanText('renamed', second.plan, { cdkJson }));
    });
  });
});

describe('plan summary of hand-made plans', () => {
  const bucketDeletion: PlanJson = {
    format_version: '1.2',
    resource_changes: [
      {
        address: 'aws_s3_bucket.uploads_bucket_556152F0',
        mode: 'managed',
        type: 'aws_s3_bucket',
        name: 'uploads_bucket_556152F0',
        action_reason: 'delete_because_no_resource_config',
        change: { actions: ['delete'], before: { bucket: 'imgopt-uploads-dev' }, after: null },
      },
      {
        address: 'aws_iam_role.processor_role_2630A70E',
        mode: 'managed',
        type: 'aws_iam_role',
        name: 'processor_role_2630A70E',
        change: { actions: ['no-op'], before: {}, after: {} },
      },
      {
        address: 'data.aws_iam_policy_document.uploads_policy-document_6C6DD12D',
        mode: 'data',
        type: 'aws_iam_policy_document',
        name: 'uploads_policy-document_6C6DD12D',
        change: { actions: ['read'] },
      },
    ],
  };

  test('says there are no changes', () => {
    const plan: PlanJson = { format_version: '1.2', resource_changes: [bucketDeletion.resource_changes![1]] };
    const markdown = renderPlanSummary(STACK, plan);
    expect(markdown.split('\n')[0]).toBe(planMarker(STACK));
    expect(markdown).toContain('**No changes.** The infrastructure matches the configuration.');
    expect(markdown).not.toContain('| create |');
    expect(renderPlanText(STACK, plan)).toBe(`${STACK}: no changes\n`);
  });

  test('flags a deletion-only plan, grouping by address prefix without cdk.tf.json', () => {
    const analysis = analyzePlan(bucketDeletion);
    expect(analysis.counts).toEqual({ create: 0, update: 0, replace: 0, delete: 1, forget: 0 });
    expect(analysis.changes).toEqual([expect.objectContaining({ group: 'uploads', constructPath: undefined, action: 'delete' })]);
    const markdown = renderPlanSummary(STACK, bucketDeletion);
    expect(markdown).toContain('> - **DATA LOSS: `aws_s3_bucket.uploads_bucket_556152F0` will be deleted: it is no longer in the configuration');
    expect(markdown).toContain('| 0 | 0 | 0 | **1** |');
    // Terraform's own count differs only when something is replaced.
    expect(markdown).not.toContain('Terraform counts this as');
    expect(markdown).toContain('\n-   aws_s3_bucket.uploads_bucket_556152F0  it is no longer in the configuration');
  });

  test("says when a bucket's force_destroy or a table's deletion protection will stop the apply", () => {
    const change = (type: string, before: Record<string, unknown>) => ({
      address: `${type}.x_ABCDEF12`,
      mode: 'managed',
      type,
      name: 'x_ABCDEF12',
      change: { actions: ['delete', 'create'], before, after: before },
    });
    const plan: PlanJson = {
      format_version: '1.2',
      resource_changes: [change('aws_s3_bucket', { force_destroy: false }), change('aws_dynamodb_table', { deletion_protection_enabled: true })],
    };
    expect(analyzePlan(plan).destructive.map((c) => c.dataLoss)).toEqual([
      'every item in the table would be lost (deletion protection is on: the apply fails until it is turned off)',
      'every object in the bucket would be lost (force_destroy is off: the apply stops if the bucket is not empty)',
    ]);
  });

  test('puts a replacement of a resource without data under a warning, not DATA LOSS', () => {
    const plan: PlanJson = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_cloudfront_function.cdn_negotiation_21A061E0',
          mode: 'managed',
          type: 'aws_cloudfront_function',
          name: 'cdn_negotiation_21A061E0',
          action_reason: 'replace_because_cannot_update',
          change: { actions: ['create', 'delete'], before: { name: 'a', code: 'x' }, after: { name: 'b', code: 'x' }, replace_paths: [['name']] },
        },
      ],
    };
    const markdown = renderPlanSummary(STACK, plan);
    expect(markdown).toContain('> [!WARNING]\n> - **Replace: `aws_cloudfront_function.cdn_negotiation_21A061E0` will be replaced: `name` forces replacement**');
    expect(markdown).not.toContain('DATA LOSS');
  });

  test('prints attribute names, never values', () => {
    const plan: PlanJson = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_lambda_function.processor_function_D7E0E582',
          mode: 'managed',
          type: 'aws_lambda_function',
          name: 'processor_function_D7E0E582',
          change: {
            actions: ['update'],
            before: { environment: [{ variables: { TOKEN: 'hunter2' } }], memory_size: 1024 },
            after: { environment: [{ variables: { TOKEN: 'swordfish' } }], memory_size: 1024 },
            after_unknown: { last_modified: true },
          },
        },
      ],
    };
    const output = renderPlanSummary(STACK, plan) + renderPlanText(STACK, plan);
    expect(output).not.toMatch(/hunter2|swordfish/);
    expect(analyzePlan(plan).changes[0].changedAttributes).toEqual(['environment', 'last_modified']);
  });

  test('keeps a fence the plan text cannot close, and stays within the length asked for', () => {
    const planText = `Terraform used the selected providers\n${'  + description = "```"\n'.repeat(5000)}`;
    const markdown = renderPlanSummary(STACK, bucketDeletion, { planText, maxLength: 20_000 });
    expect(markdown.length).toBeLessThanOrEqual(20_000);
    expect(markdown).toContain('\n````\nTerraform used the selected providers\n');
    expect(markdown).toMatch(/more lines not shown: run `terraform show tfplan` for the full plan\n````\n/);
  });

  test('reports a failed plan under the same marker, keeping the end of the log', () => {
    const log = `${'Initializing...\n'.repeat(10_000)}Error: No valid credential sources found`;
    const markdown = renderPlanError(STACK, log, { commit: '0123456789abcdef', maxLength: 10_000 });
    expect(markdown.split('\n')[0]).toBe(planMarker(STACK));
    expect(markdown).toContain('**The plan failed: nothing here can be applied until it succeeds.**');
    expect(markdown).toContain('planned at `0123456789ab`');
    expect(markdown).toContain('Error: No valid credential sources found\n```');
    expect(markdown.length).toBeLessThanOrEqual(10_000);
  });
});

describe('command-line mistakes', () => {
  test.each([
    [['missing.json'], /^plan-summary: Cannot read plan missing.json: ENOENT\n$/],
    [['package.json'], /^plan-summary: package.json is not a plan: expected the output of terraform show -json <planfile>\n$/],
    [['a.json', '--colour'], /^plan-summary: Unknown option '--colour'\n$/],
    [[], /^plan-summary: Expected one plan JSON file/],
  ])('plan-summary %j: one line, exit code 1', (args, message) => {
    const result = run('plan-summary.ts', args);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.status).toBe(1);
  });

  test('npm run plan with an unknown environment: one line, exit code 1', () => {
    const result = run('plan.ts', ['qa']);
    expect(result.stderr).toBe('Unknown environment "qa": expected dev, staging, prod (for a preview stack, set IMAGE_OPT_PREVIEW_SUFFIX=qa)\n');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  });
});
