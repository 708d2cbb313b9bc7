import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { CLI_OPTIONS, planMarker } from '../../plan-review/plan-summary';

/*
 * The GitHub Actions workflows, read as GitHub reads them: valid YAML, only real actions at real major versions,
 * no long-lived AWS keys, the plan step running the same summary script the tests run, prod behind an environment.
 * Then the workflows' GitHub API script (.github/scripts/plan-review.js) against a fake client.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');

/** Every action the workflows may use, with the major version that exists. */
const ALLOWED_ACTIONS: Readonly<Record<string, string>> = {
  'actions/checkout': 'v4',
  'actions/setup-node': 'v4',
  'hashicorp/setup-terraform': 'v3',
  'aws-actions/configure-aws-credentials': 'v4',
  'actions/upload-artifact': 'v4',
  'actions/download-artifact': 'v4',
  'actions/github-script': 'v7',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Json;
  readonly env?: Json;
  readonly if?: string;
  readonly id?: string;
}
interface Job {
  readonly 'runs-on': string;
  readonly steps: Step[];
  readonly environment?: string;
  readonly needs?: string | string[];
  readonly if?: string;
}

function readWorkflow(file: string): Json {
  const document = parseDocument(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'));
  expect(document.errors).toEqual([]);
  expect(document.warnings).toEqual([]);
  return document.toJS();
}

const files = fs.readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file)).sort();
const workflows = Object.fromEntries(files.map((file) => [file, readWorkflow(file)]));
const steps = (workflow: Json): Step[] => Object.values<Job>(workflow.jobs).flatMap((job) => job.steps);
const using = (job: Job, action: string): Step[] => job.steps.filter((step) => step.uses?.startsWith(`${action}@`));

describe('workflows', () => {
  test('are the plan review and the apply', () => {
    expect(files).toEqual(['apply.yml', 'plan-review.yml']);
  });

  test.each(files)('%s: every job runs steps that either use an action or run a command', (file) => {
    const workflow = workflows[file];
    expect(typeof workflow.name).toBe('string');
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values<Job>(workflow.jobs)) {
      expect(job['runs-on']).toMatch(/^ubuntu-/);
      expect(job.steps.length).toBeGreaterThan(0);
      for (const step of job.steps) expect([step.uses, step.run].filter((x) => x !== undefined)).toHaveLength(1);
    }
  });

  test.each(files)('%s: uses only real actions, pinned to their major version', (file) => {
    for (const { uses } of steps(workflows[file]).filter((step) => step.uses)) {
      const [action, version] = uses!.split('@');
      expect(ALLOWED_ACTIONS[action]).toBeDefined();
      expect(`${action}@${version}`).toBe(`${action}@${ALLOWED_ACTIONS[action]}`);
    }
  });

  test.each(files)('%s: AWS credentials come from an OIDC role in a repository variable, never from keys', (file) => {
    const text = fs.readFileSync(path.join(WORKFLOWS, file), 'utf8');
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SESSION_TOKEN|aws-secret-access-key|aws-access-key-id/i);
    expect(text).not.toMatch(/secrets\./);
    expect(workflows[file].permissions).toMatchObject({ 'id-token': 'write', contents: 'read' });
    for (const job of Object.values<Job>(workflows[file].jobs)) {
      const [credentials] = using(job, 'aws-actions/configure-aws-credentials');
      expect(Object.keys(credentials.with!).sort()).toEqual(['aws-region', 'role-session-name', 'role-to-assume']);
      expect(credentials.with!['role-to-assume']).toMatch(/^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
    }
  });

  test.each(files)('%s: installs Terraform 1.11.4 without the wrapper that rewrites its output', (file) => {
    for (const job of Object.values<Job>(workflows[file].jobs)) {
      const [terraform] = using(job, 'hashicorp/setup-terraform');
      expect(terraform.with).toEqual({ terraform_version: '1.11.4', terraform_wrapper: false });
    }
  });
});

describe('plan-review.yml', () => {
  const workflow = workflows['plan-review.yml'];
  const job: Job = workflow.jobs.plan;
  const runs = job.steps.map((step) => step.run ?? '').join('\n');

  test('runs on pull requests, allowed to mint an OIDC token and to comment', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    expect(workflow.permissions).toEqual({ 'id-token': 'write', contents: 'read', 'pull-requests': 'write' });
    expect(job.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
  });

  test('plans the head commit with Node 20, npm ci and the plan role', () => {
    expect(using(job, 'actions/checkout')[0].with).toEqual({ ref: '${{ github.event.pull_request.head.sha }}' });
    expect(using(job, 'actions/setup-node')[0].with).toEqual({ 'node-version': 20, cache: 'npm' });
    expect(runs).toMatch(/^npm ci\b/m);
    expect(using(job, 'aws-actions/configure-aws-credentials')[0].with!['role-to-assume']).toBe('${{ vars.AWS_PLAN_ROLE_ARN }}');
  });

  test('synthesizes every stack, then plans each one to a saved plan file', () => {
    const synth = job.steps.findIndex((step) => step.run === 'npm run synth');
    const plan = job.steps.findIndex((step) => step.run?.includes(' plan '));
    expect(synth).toBeGreaterThan(-1);
    expect(plan).toBeGreaterThan(synth);
    const script = job.steps[plan].run!;
    expect(script).toContain('for dir in cdktf.out/stacks/*; do');
    expect(script).toMatch(/terraform -chdir="\$dir" init -input=false/);
    expect(script).toMatch(/terraform -chdir="\$dir" plan -input=false .*-out=tfplan/);
    expect(script).toMatch(/terraform -chdir="\$dir" show -json tfplan > "\$dir\/plan.json"/);
  });

  test('renders the comment with plan-review/plan-summary.ts, the script the tests run, passing only options it has', () => {
    const calls = runs.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => line.includes('plan-summary') && !line.trim().startsWith('#'));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call).toContain('node -r esbuild-register plan-review/plan-summary.ts ');
      for (const [, option] of call.matchAll(/--([a-z-]+)/g)) expect(Object.keys(CLI_OPTIONS)).toContain(option);
    }
    expect(fs.existsSync(path.join(ROOT, 'plan-review', 'plan-summary.ts'))).toBe(true);
  });

  test('keeps the saved plans under the name apply.yml looks for', () => {
    const [upload] = using(job, 'actions/upload-artifact');
    const { artifactName } = loadScript();
    expect(upload.with!.name).toBe(artifactName('${{ github.event.pull_request.head.sha }}'));
    expect(upload.with!.path.split('\n').filter(Boolean)).toEqual(['cdktf.out/stacks/', '!cdktf.out/stacks/*/.terraform/']);
    expect(upload.with!['include-hidden-files']).toBe(true);
  });

  test('posts the comments with github-script, also after a failed plan', () => {
    const [comment] = using(job, 'actions/github-script');
    expect(comment.if).toBe('${{ !cancelled() }}');
    expect(comment.with!.script).toContain("require('./.github/scripts/plan-review.js')");
    expect(comment.with!.script).toContain('postPlanComments(');
  });
});

describe('apply.yml', () => {
  const workflow = workflows['apply.yml'];
  const jobs = Object.entries<Job>(workflow.jobs);

  test('runs on pushes to main', () => {
    expect(workflow.on).toEqual({ push: { branches: ['main'] } });
    expect(workflow.permissions).toEqual({ 'id-token': 'write', contents: 'read', actions: 'read', 'pull-requests': 'read' });
  });

  test('applies only the saved, reviewed plan', () => {
    for (const [, job] of jobs) {
      const [find, download] = [using(job, 'actions/github-script')[0], using(job, 'actions/download-artifact')[0]];
      expect(find.with!.script).toContain('findReviewedPlan(');
      expect(download.with).toMatchObject({
        name: `\${{ steps.${find.id}.outputs.artifact }}`,
        'run-id': `\${{ steps.${find.id}.outputs.run-id }}`,
      });
      const applies = job.steps.flatMap((step) => (step.run ?? '').split('\n')).filter((line) => /terraform .*\bapply\b/.test(line));
      expect(applies).toEqual([expect.stringMatching(/^terraform -chdir="\$dir" apply -input=false .* tfplan$/)]);
    }
    expect(fs.readFileSync(path.join(WORKFLOWS, 'apply.yml'), 'utf8')).not.toMatch(/auto-approve|terraform plan|cdktf deploy/);
  });

  test('puts prod behind the prod environment, after dev and staging', () => {
    const prod = jobs.filter(([, job]) => job.environment === 'prod');
    expect(prod).toHaveLength(1);
    const [[, job]] = prod;
    expect(job.needs).toBe('apply');
    expect(workflow.jobs.apply.strategy.matrix.environment).toEqual(['dev', 'staging']);
    expect(workflow.jobs.apply.environment).toBeUndefined();
    expect(job.steps.map((step) => step.run ?? '').join('\n')).toContain('STACK');
    expect((job as unknown as { env: Json }).env.STACK).toBe('image-optimization-prod');
  });
});

// The workflows' API script is plain CommonJS for github-script; its shape, as the tests use it.
interface FakeCall {
  readonly method: string;
  readonly params: Json;
}
interface Core {
  failed?: string;
  outputs: Record<string, string>;
  setFailed(message: string): void;
  setOutput(name: string, value: string): void;
  info(message: string): void;
  warning(message: string): void;
}
interface PlanReviewScript {
  artifactName(sha: string): string;
  postPlanComments(args: { github: unknown; context: unknown; core: Core; root: string }): Promise<number>;
  findReviewedPlan(args: { github: unknown; context: unknown; core: Core }): Promise<{ artifact: string; runId: number } | undefined>;
}
function loadScript(): PlanReviewScript {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../.github/scripts/plan-review.js') as PlanReviewScript;
}

function fakeCore(): Core {
  return {
    outputs: {},
    setFailed(message) {
      this.failed = message;
    },
    setOutput(name, value) {
      this.outputs[name] = value;
    },
    info() {},
    warning() {},
  };
}

/** A GitHub client whose every REST method records its call and answers from `answers`. */
function fakeGithub(answers: Record<string, Json | ((params: Json) => Json)>) {
  const calls: FakeCall[] = [];
  const method = (name: string) => async (params: Json) => {
    calls.push({ method: name, params });
    const answer = answers[name];
    return { data: typeof answer === 'function' ? answer(params) : (answer ?? { html_url: `https://github.com/${name}` }) };
  };
  const rest = new Proxy({}, { get: (_, group: string) => new Proxy({}, { get: (__, name: string) => method(`${group}.${name}`) }) });
  return {
    calls,
    github: {
      rest,
      paginate: async (fn: (params: Json) => Promise<{ data: Json[] }>, params: Json) => (await fn(params)).data,
    },
  };
}

describe('plan-review.js: comments', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-comments-'));
  const context = { repo: { owner: 'acme', repo: 'img' }, payload: { pull_request: { number: 42 } } };
  const write = (stack: string, body: string) => {
    fs.mkdirSync(path.join(root, stack), { recursive: true });
    fs.writeFileSync(path.join(root, stack, 'comment.md'), body);
  };
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test("updates the workflow's own comment for a stack in place and posts one for a stack without", async () => {
    write('image-optimization-dev', `${planMarker('image-optimization-dev')}\nnew dev plan`);
    write('image-optimization-prod', `${planMarker('image-optimization-prod')}\nprod plan`);
    const { github, calls } = fakeGithub({
      'issues.listComments': [
        { id: 1, user: { type: 'User' }, body: `${planMarker('image-optimization-dev')}\nquoted by a person` },
        { id: 2, user: { type: 'Bot' }, body: `${planMarker('image-optimization-dev')}\nold dev plan` },
        { id: 3, user: { type: 'Bot' }, body: `${planMarker('image-optimization-dev-old')}\nanother stack` },
      ],
    });
    const core = fakeCore();
    expect(await loadScript().postPlanComments({ github, context, core, root })).toBe(2);
    expect(core.failed).toBeUndefined();
    expect(calls.slice(1)).toEqual([
      { method: 'issues.updateComment', params: { owner: 'acme', repo: 'img', comment_id: 2, body: `${planMarker('image-optimization-dev')}\nnew dev plan` } },
      { method: 'issues.createComment', params: { owner: 'acme', repo: 'img', issue_number: 42, body: `${planMarker('image-optimization-prod')}\nprod plan` } },
    ]);
  });

  test('refuses a summary without the marker, which could never be found again', async () => {
    write('image-optimization-staging', 'no marker\n');
    const { github } = fakeGithub({ 'issues.listComments': [] });
    const core = fakeCore();
    await loadScript().postPlanComments({ github, context, core, root });
    expect(core.failed).toMatch(/image-optimization-staging\/comment.md does not start with a plan marker/);
  });
});

describe('plan-review.js: which plan to apply', () => {
  const context = { repo: { owner: 'acme', repo: 'img' }, sha: 'm'.repeat(40) };
  const head = 'h'.repeat(40);
  const answers = (overrides: Record<string, Json | ((params: Json) => Json)> = {}) => ({
    'repos.listPullRequestsAssociatedWithCommit': [{ number: 7, merged_at: '2025-01-01T00:00:00Z', merge_commit_sha: context.sha, head: { sha: head } }],
    'git.getCommit': () => ({ tree: { sha: 'tree-1' } }),
    'actions.listWorkflowRuns': {
      workflow_runs: [
        { id: 100, head_sha: head, created_at: '2025-01-01T00:00:00Z', html_url: 'https://github.com/acme/img/actions/runs/100' },
        { id: 101, head_sha: head, created_at: '2025-01-02T00:00:00Z', html_url: 'https://github.com/acme/img/actions/runs/101' },
      ],
    },
    'actions.listWorkflowRunArtifacts': (params: Json) => ({ artifacts: [{ name: params.name, expired: false }] }),
    ...overrides,
  });

  test("finds the latest successful plan run of the merged pull request's head", async () => {
    const { github, calls } = fakeGithub(answers());
    const core = fakeCore();
    const found = await loadScript().findReviewedPlan({ github, context, core });
    expect(core.failed).toBeUndefined();
    expect(found).toMatchObject({ artifact: `reviewed-plans-${head}`, runId: 101 });
    expect(core.outputs).toEqual({ artifact: `reviewed-plans-${head}`, 'run-id': '101', 'pull-request': '7', 'head-sha': head });
    expect(calls.find((call) => call.method === 'actions.listWorkflowRuns')!.params).toMatchObject({
      workflow_id: 'plan-review.yml',
      head_sha: head,
      event: 'pull_request',
      status: 'success',
    });
  });

  test('fails when the commit reached main without a merged pull request', async () => {
    const { github } = fakeGithub(answers({ 'repos.listPullRequestsAssociatedWithCommit': [] }));
    const core = fakeCore();
    expect(await loadScript().findReviewedPlan({ github, context, core })).toBeUndefined();
    expect(core.failed).toMatch(/^Nothing applied: m{12} reached main without a merged pull request/);
    expect(core.outputs).toEqual({});
  });

  test("fails when main's code is not the tree that was planned", async () => {
    const { github } = fakeGithub(answers({ 'git.getCommit': (params: Json) => ({ tree: { sha: `tree-of-${params.commit_sha}` } }) }));
    const core = fakeCore();
    expect(await loadScript().findReviewedPlan({ github, context, core })).toBeUndefined();
    expect(core.failed).toMatch(/holds other code than the head of #7 \(h{12}\) that was planned/);
  });

  test('fails when no plan run succeeded, or its artifact expired', async () => {
    const overrides: Record<string, Json>[] = [
      { 'actions.listWorkflowRuns': { workflow_runs: [] } },
      { 'actions.listWorkflowRunArtifacts': { artifacts: [{ name: `reviewed-plans-${head}`, expired: true }] } },
    ];
    for (const override of overrides) {
      const { github } = fakeGithub(answers(override));
      const core = fakeCore();
      expect(await loadScript().findReviewedPlan({ github, context, core })).toBeUndefined();
      expect(core.failed).toMatch(/^Nothing applied: (no successful plan-review.yml run planned h{12}|the plan run .* has no artifact)/);
    }
  });
});
