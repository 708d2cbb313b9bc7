/**
 * The plan review summary: reads `terraform show -json` of a saved plan and says, per stack, what it creates,
 * updates, replaces and deletes, grouped by the construct that owns each resource, with every replacement and
 * deletion flagged first (and called DATA LOSS where the resource holds data).
 *
 * Two renderings of one analysis: Markdown for the pull request comment (`.github/workflows/plan-review.yml` runs
 * this file's command line) and plain text for a terminal (`npm run plan`, `npm run plan:offline`).
 *
 * Only attribute NAMES from the plan JSON are ever printed, never values: the JSON holds sensitive values
 * unmasked, while `terraform show` text (the optional full plan) masks them.
 *
 * Command line:
 *   node -r esbuild-register plan-review/plan-summary.ts <plan.json | -> [--stack name] [--cdk-json path]
 *     [--plan-text path] [--format markdown|text] [--commit sha] [--run-url url]
 *   node -r esbuild-register plan-review/plan-summary.ts --error <terraform.log> --stack name [--commit sha] [--run-url url]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/** What `terraform show -json <planfile>` holds, as far as the summary reads it. */
export interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
  /** Changes made outside Terraform since the last apply, found by the refresh. */
  readonly resource_drift?: readonly ResourceChangeJson[];
  readonly output_changes?: Readonly<Record<string, { readonly actions: readonly string[] }>>;
  readonly errored?: boolean;
}

export interface ResourceChangeJson {
  readonly address: string;
  readonly module_address?: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly deposed?: string;
  readonly action_reason?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly replace_paths?: readonly (readonly (string | number)[])[];
  };
}

/** The synthesized stack (`cdk.tf.json`): cdktf records each resource's construct path in its `//` metadata. */
export interface CdkTfJson {
  readonly '//'?: { readonly metadata?: { readonly stackName?: string } };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, { readonly '//'?: { readonly metadata?: { readonly path?: string } } }>>>>;
}

export const ACTIONS = ['create', 'update', 'replace', 'delete', 'forget'] as const;
/** `forget`: removed from the state by a `removed` block, left alone in AWS. */
export type ChangeAction = (typeof ACTIONS)[number];

/**
 * Resource types whose replacement or deletion destroys data, and what is lost, told from the prior state's safety
 * switch where the type has one (booleans, never secrets). Terraform replaces by deleting first, so replacing a
 * bucket or a table loses the same as deleting it.
 */
export const DATA_LOSS: Readonly<Record<string, (before: Readonly<Record<string, unknown>>) => string>> = {
  aws_s3_bucket: (before) =>
    before.force_destroy === true
      ? 'every object in the bucket is deleted with it (force_destroy is on)'
      : before.force_destroy === false
        ? 'every object in the bucket would be lost (force_destroy is off: the apply stops if the bucket is not empty)'
        : 'every object in the bucket is lost',
  aws_dynamodb_table: (before) =>
    before.deletion_protection_enabled === true
      ? 'every item in the table would be lost (deletion protection is on: the apply fails until it is turned off)'
      : 'every item in the table is lost',
  aws_sqs_queue: () => 'messages waiting in the queue (failed uploads not yet replayed) are lost',
};

const REASONS: Readonly<Record<string, string>> = {
  replace_because_cannot_update: 'an attribute that cannot change in place changes',
  replace_because_tainted: 'the resource is tainted (a previous apply failed half-way)',
  replace_by_request: 'replacement was requested (-replace)',
  replace_by_triggers: 'a replace_triggered_by reference changed',
  // A renamed construct changes the logical id: without a moved block (cdktf `moveTo`) that is a delete and a create.
  delete_because_no_resource_config: 'it is no longer in the configuration (removed, or its construct id changed without a move)',
  delete_because_no_module: 'its module is no longer in the configuration',
  delete_because_wrong_repetition: 'count/for_each was added or removed',
  delete_because_count_index: 'its count index is out of range',
  delete_because_each_key: 'its for_each key is gone',
  delete_because_no_move_target: 'a moved block points at nothing',
};

export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly action: ChangeAction;
  /** Path of the resource's construct inside the stack (`uploads/bucket`), from cdk.tf.json. */
  readonly constructPath?: string;
  /** The heading it is listed under: its parent construct (`uploads`), or its address prefix without cdk.tf.json. */
  readonly group: string;
  /** Attributes whose change forces the replacement (`bucket`, `attribute[0].name`). */
  readonly replacePaths: readonly string[];
  /** Top-level attributes whose value changes (updates and replacements). */
  readonly changedAttributes: readonly string[];
  /** Why Terraform replaces or deletes it, in words. */
  readonly reason?: string;
  /** What a replacement or deletion destroys, for resources that hold data. */
  readonly dataLoss?: string;
}

export interface PlanAnalysis {
  readonly counts: Readonly<Record<ChangeAction, number>>;
  /** Every resource the plan changes (no-ops and data-source reads left out), by group; in a group, the riskiest first. */
  readonly changes: readonly PlannedChange[];
  /** Replacements and deletions: data loss first. */
  readonly destructive: readonly PlannedChange[];
  /** Resources changed outside Terraform since the last apply. */
  readonly drift: number;
  readonly outputChanges: number;
  /** The plan stopped on an error: it is incomplete and cannot be applied. */
  readonly errored: boolean;
}

/** The one action a resource's `change.actions` amounts to; undefined for no-ops and data-source reads. */
export function actionOf(actions: readonly string[]): ChangeAction | undefined {
  if (actions.includes('create') && actions.includes('delete')) return 'replace';
  if (actions.includes('create')) return 'create';
  if (actions.includes('update')) return 'update';
  if (actions.includes('delete')) return 'delete';
  if (actions.includes('forget')) return 'forget';
  return undefined;
}

/** Terraform's own "Plan: X to add, Y to change, Z to destroy" line, where a replacement is one add and one destroy. */
export function terraformCounts(counts: Readonly<Record<ChangeAction, number>>): { add: number; change: number; destroy: number } {
  return { add: counts.create + counts.replace, change: counts.update, destroy: counts.delete + counts.replace };
}

/** Resource address (`aws_s3_bucket.uploads_bucket_556152F0`) to construct path inside the stack (`uploads/bucket`). */
export function constructPaths(cdkJson: CdkTfJson): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [type, byName] of Object.entries(cdkJson.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      const full = config['//']?.metadata?.path;
      // The first segment is the stack's own id.
      if (full) paths.set(`${type}.${name}`, full.split('/').slice(1).join('/'));
    }
  }
  return paths;
}

/**
 * Where a change is listed. With cdk.tf.json: the resource's parent construct. Without it: cdktf's logical ids are
 * the construct path joined by `_` plus an 8-digit hash (`uploads_bucket_556152F0`), so the prefix is the group.
 */
function groupOf(change: ResourceChangeJson, constructPath: string | undefined): string {
  if (constructPath !== undefined) return constructPath.includes('/') ? constructPath.slice(0, constructPath.lastIndexOf('/')) : '(stack)';
  const segments = change.name.replace(/_[0-9A-F]{8}$/, '').split('_');
  const prefix = segments.length > 1 ? segments.slice(0, -1).join('/') : '(stack)';
  return change.module_address ? `${change.module_address} ${prefix}` : prefix;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function containsTrue(value: unknown): boolean {
  if (value === true) return true;
  if (Array.isArray(value)) return value.some(containsTrue);
  if (isRecord(value)) return Object.values(value).some(containsTrue);
  return false;
}

/** Top-level attribute names whose value changes or becomes unknown until apply; never their values. */
function changedAttributes(change: ResourceChangeJson['change']): string[] {
  const before = isRecord(change.before) ? change.before : {};
  const after = isRecord(change.after) ? change.after : {};
  const unknown = isRecord(change.after_unknown) ? change.after_unknown : {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...keys]
    .filter((key) => containsTrue(unknown[key]) || JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null))
    .sort();
}

/** `["rule", 0, "filter"]` as `rule[0].filter`. */
function formatPath(segments: readonly (string | number)[]): string {
  return segments.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/**
 * Reads a plan into counts per action and the changed resources, grouped by construct when the stack's
 * cdk.tf.json is given.
 */
export function analyzePlan(plan: PlanJson, cdkJson?: CdkTfJson): PlanAnalysis {
  const paths = cdkJson ? constructPaths(cdkJson) : new Map<string, string>();
  const counts = Object.fromEntries(ACTIONS.map((action) => [action, 0])) as Record<ChangeAction, number>;
  const changes: PlannedChange[] = [];
  for (const resource of plan.resource_changes ?? []) {
    const action = resource.mode === 'managed' ? actionOf(resource.change.actions) : undefined;
    if (!action) continue;
    counts[action] += 1;
    const constructPath = resource.module_address ? undefined : paths.get(`${resource.type}.${resource.name}`);
    const destructive = action === 'replace' || action === 'delete';
    changes.push({
      address: resource.deposed ? `${resource.address} (deposed ${resource.deposed})` : resource.address,
      type: resource.type,
      action,
      constructPath,
      group: groupOf(resource, constructPath),
      replacePaths: (resource.change.replace_paths ?? []).map(formatPath),
      changedAttributes: action === 'update' || action === 'replace' ? changedAttributes(resource.change) : [],
      reason: resource.action_reason ? (REASONS[resource.action_reason] ?? resource.action_reason) : undefined,
      dataLoss: destructive ? DATA_LOSS[resource.type]?.(isRecord(resource.change.before) ? resource.change.before : {}) : undefined,
    });
  }
  // Within a construct, the changes that need a reviewer's eye come first.
  const order: ChangeAction[] = ['replace', 'delete', 'update', 'forget', 'create'];
  changes.sort(
    (a, b) => a.group.localeCompare(b.group) || order.indexOf(a.action) - order.indexOf(b.action) || a.address.localeCompare(b.address),
  );
  const destructive = changes
    .filter((change) => change.action === 'replace' || change.action === 'delete')
    .sort((a, b) => Number(b.dataLoss !== undefined) - Number(a.dataLoss !== undefined));
  return {
    counts,
    changes,
    destructive,
    drift: (plan.resource_drift ?? []).length,
    outputChanges: Object.values(plan.output_changes ?? {}).filter((output) => actionOf(output.actions) !== undefined).length,
    errored: plan.errored === true,
  };
}

/** The hidden first line of a stack's comment, by which the workflow finds the comment to update on the next push. */
export function planMarker(stackName: string): string {
  return `<!-- imgopt-plan:${stackName} -->`;
}

export interface RenderOptions {
  /** The stack's synthesized cdk.tf.json: groups resources by construct. */
  readonly cdkJson?: CdkTfJson;
  /**
   * `terraform show` text of the plan, put in the collapsed full plan (trimmed to fit the comment).
   *
   * @default - a compact list of every change
   */
  readonly planText?: string;
  /** Commit the plan was made from. */
  readonly commit?: string;
  /** The CI run that made the plan, where the full plan can be downloaded. */
  readonly runUrl?: string;
  /**
   * Longest Markdown to produce.
   *
   * @default 60000 (GitHub refuses comments over 65536 characters)
   */
  readonly maxLength?: number;
}

const SYMBOL: Readonly<Record<ChangeAction, string>> = { create: '+', update: '~', replace: '-/+', delete: '-', forget: '.' };

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function countLine(counts: Readonly<Record<ChangeAction, number>>): string {
  const parts = ['create', 'update', 'replace', 'delete'].map((action) => `${counts[action as ChangeAction]} to ${action}`);
  if (counts.forget > 0) parts.push(`${counts.forget} to forget`);
  return parts.join(', ');
}

/** One sentence on a replacement or deletion: what, because of what, and what is lost. */
function destructiveSentence(change: PlannedChange, code: (text: string) => string): string {
  const verb = change.action === 'replace' ? 'replaced' : 'deleted';
  const where = change.constructPath ? ` (${code(change.constructPath)})` : '';
  const cause =
    change.replacePaths.length > 0
      ? `${change.replacePaths.map(code).join(', ')} forces replacement`
      : (change.reason ?? (change.action === 'replace' ? 'Terraform must replace it' : 'Terraform will destroy it'));
  return `${code(change.address)}${where} will be ${verb}: ${cause}${change.dataLoss ? `; ${change.dataLoss}` : ''}`;
}

/** What the table says about one change's attributes. */
function attributesNote(change: PlannedChange, code: (text: string) => string): string {
  if (change.action === 'replace' && change.replacePaths.length > 0) return `${change.replacePaths.map(code).join(', ')} (forces replacement)`;
  if (change.action === 'delete' || change.action === 'replace' || change.action === 'forget') return change.reason ?? '';
  const names = change.changedAttributes;
  return names.length > 8 ? `${names.slice(0, 8).map(code).join(', ')} and ${names.length - 8} more` : names.map(code).join(', ');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A code fence longer than any run of backticks in the text, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Where a resource block of `terraform show` text goes: what a reviewer must see before truncation comes first. */
function blockRank(header: string): number {
  if (/ must be replaced| will be destroyed/.test(header)) return 0;
  if (/ will be created/.test(header)) return 2;
  if (/ will be read during apply/.test(header)) return 3;
  return 1;
}

/**
 * The plan's actions, without the refresh chatter (`Reading...`) printed before them, and with the resource blocks
 * reordered: replacements and deletions, then updates, then creations, then data-source reads. Terraform sorts them
 * by address, which can put a bucket's "forces replacement" thousands of lines down, past what a comment can hold.
 */
function planBody(text: string): string {
  const start = text.indexOf('Terraform used the selected providers');
  const body = (start >= 0 ? text.slice(start) : text).trim();
  const lines = body.split('\n');
  const first = lines.findIndex((line) => line.startsWith('Terraform will perform the following actions:'));
  const last = lines.findIndex((line) => /^Plan: \d+ to add/.test(line));
  if (first < 0 || last < first) return body;
  const blocks: string[][] = [];
  for (let i = first + 1; i < last; i += 1) {
    // A resource block starts with its "# address will be ..." comment right after a blank line.
    if (lines[i].startsWith('  # ') && lines[i - 1].trim() === '') blocks.push([]);
    blocks.at(-1)?.push(lines[i]);
  }
  const ordered = blocks
    .map((block, index) => ({ block, index, rank: blockRank(block[0]) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .flatMap(({ block }) => block);
  return [...lines.slice(0, first + 1), '', ...ordered, ...lines.slice(last)].join('\n');
}

/** Keeps whole lines of `text` within `budget` characters, saying how many lines were left out. */
function truncateLines(text: string, budget: number, where: string): string {
  if (text.length <= budget) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > budget) break;
    kept.push(line);
    length += line.length + 1;
  }
  return `${kept.join('\n')}\n... ${lines.length - kept.length} more lines not shown: ${where}`;
}

/** The Markdown comment for one stack's plan: marker, flags, counts, changes by construct, collapsed full plan. */
export function renderPlanSummary(stackName: string, plan: PlanJson, options: RenderOptions = {}): string {
  const analysis = analyzePlan(plan, options.cdkJson);
  const maxLength = options.maxLength ?? 60_000;
  const code = (text: string) => `\`${text}\``;
  const head: string[] = [planMarker(stackName), `### Terraform plan: ${code(stackName)}`, ''];

  if (analysis.errored) {
    head.push('> [!CAUTION]', '> **The plan stopped on an error: it is incomplete and cannot be applied.**', '');
  }
  const loss = analysis.destructive.filter((change) => change.dataLoss);
  const other = analysis.destructive.filter((change) => !change.dataLoss);
  if (loss.length > 0) {
    head.push('> [!CAUTION]', ...loss.map((change) => `> - **DATA LOSS: ${destructiveSentence(change, code)}**`), '');
  }
  if (other.length > 0) {
    head.push(
      '> [!WARNING]',
      ...other.map((change) => `> - **${change.action === 'replace' ? 'Replace' : 'Delete'}: ${destructiveSentence(change, code)}**`),
      '',
    );
  }

  const { counts } = analysis;
  const total = ACTIONS.reduce((sum, action) => sum + counts[action], 0);
  const tf = terraformCounts(counts);
  if (total === 0) {
    head.push('**No changes.** The infrastructure matches the configuration.');
  } else {
    const bold = (action: ChangeAction) => (counts[action] > 0 && (action === 'replace' || action === 'delete') ? `**${counts[action]}**` : `${counts[action]}`);
    head.push(
      '| create | update | replace | delete |',
      '|---:|---:|---:|---:|',
      `| ${bold('create')} | ${bold('update')} | ${bold('replace')} | ${bold('delete')} |`,
    );
    // Terraform's own line counts a replacement twice; say so where the two could be compared and disagree.
    if (counts.replace > 0) {
      head.push('', `Terraform counts this as ${tf.add} to add, ${tf.change} to change, ${tf.destroy} to destroy (a replacement is one add and one destroy).`);
    }
    if (counts.forget > 0) head.push('', `${counts.forget} to forget: removed from the state, left in AWS.`);
  }
  const notes: string[] = [];
  if (analysis.drift > 0) notes.push(`${plural(analysis.drift, 'resource')} changed outside Terraform since the last apply`);
  if (analysis.outputChanges > 0) notes.push(`${plural(analysis.outputChanges, 'output')} ${analysis.outputChanges === 1 ? 'changes' : 'change'}`);
  if (options.commit) notes.push(`planned at ${code(options.commit.slice(0, 12))}`);
  if (options.runUrl) notes.push(`[plan run](${options.runUrl})`);
  if (notes.length > 0) head.push('', `${notes.join(' · ')}`);

  const table: string[] = [];
  if (analysis.changes.length > 0) {
    table.push('', '#### Changes by construct', '', '| construct | action | resource | attributes |', '|---|---|---|---|');
    let previous: string | undefined;
    for (const change of analysis.changes) {
      const group = change.group === previous ? '' : code(change.group);
      previous = change.group;
      const action = change.action === 'replace' || change.action === 'delete' ? `**${change.action}**` : change.action;
      table.push(`| ${escapeCell(group)} | ${action} | ${escapeCell(code(change.address))} | ${escapeCell(attributesNote(change, code))} |`);
    }
  }

  const where = options.runUrl ? `the full plan is in the [plan run](${options.runUrl})'s artifacts` : 'run `terraform show tfplan` for the full plan';
  let body = [...head, ...table].join('\n');
  if (body.length > maxLength - 200) body = truncateLines(body, maxLength - 400, where);

  const full = options.planText !== undefined ? planBody(options.planText) : compactList(analysis);
  const summary = options.planText !== undefined ? 'Full plan (terraform show; replacements, deletions and updates first)' : 'Every change, one per line';
  // Room for the <details> wrapper, the fences and the truncation note.
  const budget = maxLength - body.length - 400;
  if (budget < 500) return `${body}\n\nThe full plan does not fit in this comment: ${where}.\n`;
  const shown = truncateLines(full, budget, where);
  const marks = fence(shown);
  return `${body}\n\n<details><summary>${summary}</summary>\n\n${marks}\n${shown}\n${marks}\n\n</details>\n`;
}

/** Every change with Terraform's symbols, when no `terraform show` text was given. */
function compactList(analysis: PlanAnalysis): string {
  if (analysis.changes.length === 0) return 'No changes.';
  const plain = (text: string) => text;
  return analysis.changes
    .map((change) => {
      const note = attributesNote(change, plain);
      return `${SYMBOL[change.action].padEnd(3)} ${change.address}${note ? `  ${note}` : ''}`;
    })
    .join('\n');
}

/**
 * The same analysis for a terminal: counts, then each replacement and deletion, then per construct the creations
 * as a count and every other change on its own line.
 */
export function renderPlanText(stackName: string, plan: PlanJson, options: Pick<RenderOptions, 'cdkJson'> = {}): string {
  const analysis = analyzePlan(plan, options.cdkJson);
  const plain = (text: string) => text;
  const total = ACTIONS.reduce((sum, action) => sum + analysis.counts[action], 0);
  const lines = [`${stackName}: ${total === 0 ? 'no changes' : countLine(analysis.counts)}`];
  if (analysis.errored) lines.push('  ERROR: the plan stopped on an error; it is incomplete and cannot be applied');
  if (total === 0) return `${lines.join('\n')}\n`;
  const tf = terraformCounts(analysis.counts);
  if (analysis.counts.replace > 0) lines.push(`  (terraform: ${tf.add} to add, ${tf.change} to change, ${tf.destroy} to destroy)`);
  if (analysis.destructive.length > 0) lines.push('');
  for (const change of analysis.destructive) {
    const label = change.dataLoss ? 'DATA LOSS' : change.action === 'replace' ? 'REPLACE' : 'DELETE';
    lines.push(`  ${label}: ${destructiveSentence(change, plain)}`);
  }
  lines.push('');
  const groups = new Map<string, PlannedChange[]>();
  for (const change of analysis.changes) groups.set(change.group, [...(groups.get(change.group) ?? []), change]);
  const width = Math.max(...[...groups.keys()].map((group) => group.length));
  for (const [group, changes] of groups) {
    const counts = Object.fromEntries(ACTIONS.map((action) => [action, changes.filter((c) => c.action === action).length]));
    const tally = ACTIONS.filter((action) => counts[action] > 0).map((action) => `${counts[action]} to ${action}`).join(', ');
    lines.push(`  ${group.padEnd(width)}  ${tally}`);
    for (const change of changes.filter((c) => c.action !== 'create')) {
      const note = attributesNote(change, plain);
      lines.push(`    ${SYMBOL[change.action].padEnd(3)} ${change.address}${note ? `  ${note}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The comment for a stack whose plan failed, so the previous push's summary does not stay up looking current. */
export function renderPlanError(stackName: string, log: string, options: Pick<RenderOptions, 'commit' | 'runUrl' | 'maxLength'> = {}): string {
  const notes = [options.commit ? `planned at \`${options.commit.slice(0, 12)}\`` : '', options.runUrl ? `[plan run](${options.runUrl})` : '']
    .filter(Boolean)
    .join(' · ');
  // Terraform's diagnostics are what matters: from its first "Error:" on, with the (single-line, huge) JSON source
  // lines it quotes from cdk.tf.json cut short, and the end kept when even that is too long.
  const firstError = log.search(/^Error: /m);
  const diagnostics = (firstError >= 0 ? log.slice(firstError) : log)
    .split('\n')
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n')
    .trim();
  const budget = Math.min(options.maxLength ?? 60_000, 20_000) - 1000;
  const tail = diagnostics.length > budget ? `…\n${diagnostics.slice(diagnostics.length - budget)}` : diagnostics;
  const marks = fence(tail);
  return [
    planMarker(stackName),
    `### Terraform plan: \`${stackName}\``,
    '',
    '> [!CAUTION]',
    '> **The plan failed: nothing here can be applied until it succeeds.**',
    '',
    ...(notes ? [notes, ''] : []),
    marks,
    tail,
    marks,
    '',
  ].join('\n');
}

/** Options of the command line; the workflow test checks that the workflow passes only these. */
export const CLI_OPTIONS = {
  stack: { type: 'string' },
  'cdk-json': { type: 'string' },
  'plan-text': { type: 'string' },
  format: { type: 'string' },
  commit: { type: 'string' },
  'run-url': { type: 'string' },
  error: { type: 'string' },
  help: { type: 'boolean' },
} as const;

const USAGE = `Usage: node -r esbuild-register plan-review/plan-summary.ts <plan.json | -> [--stack name] [--cdk-json path] [--plan-text path] [--format markdown|text] [--commit sha] [--run-url url]
       node -r esbuild-register plan-review/plan-summary.ts --error <terraform.log> --stack name [--commit sha] [--run-url url]`;

/** A mistake in how the command was called: printed as one line, exit code 1. */
class UsageError extends Error {}

function readFile(file: string, what: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFile(file, what)) as T;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what} ${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Runs the command line; returns the exit code. */
export function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(text)): number {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: CLI_OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message.replace(/\. To specify .*$/s, ''));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      out(`${USAGE}\n`);
      return 0;
    }
    const options = { commit: values.commit, runUrl: values['run-url'] };
    if (values.error !== undefined) {
      if (!values.stack) throw new UsageError('--error needs --stack <name>');
      out(renderPlanError(values.stack, readFile(values.error, 'terraform log'), options));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`Expected one plan JSON file (terraform show -json tfplan), got ${positionals.length}. ${USAGE.split('\n')[0]}`);
    const format = values.format ?? 'markdown';
    if (format !== 'markdown' && format !== 'text') throw new UsageError(`Unknown --format ${format}: expected markdown or text`);

    const planFile = positionals[0];
    const plan = readJson<PlanJson>(planFile, 'plan');
    if (typeof plan !== 'object' || plan === null || plan.format_version === undefined || !('planned_values' in plan)) {
      throw new UsageError(`${planFile} is not a plan: expected the output of terraform show -json <planfile>`);
    }
    // Beside a plan made in a synthesized stack's folder lies that stack's cdk.tf.json.
    const besidePlan = planFile === '-' ? undefined : path.join(path.dirname(planFile), 'cdk.tf.json');
    const cdkJsonFile = values['cdk-json'] ?? (besidePlan && fs.existsSync(besidePlan) ? besidePlan : undefined);
    const cdkJson = cdkJsonFile ? readJson<CdkTfJson>(cdkJsonFile, 'cdk.tf.json') : undefined;
    const stackName = values.stack ?? cdkJson?.['//']?.metadata?.stackName;
    if (!stackName) throw new UsageError('Cannot tell which stack this plan is for: pass --stack <name> or --cdk-json <path>');

    if (format === 'text') {
      out(renderPlanText(stackName, plan, { cdkJson }));
    } else {
      const planText = values['plan-text'] !== undefined ? readFile(values['plan-text'], 'plan text') : undefined;
      out(renderPlanSummary(stackName, plan, { ...options, cdkJson, planText }));
    }
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`plan-summary: ${error.message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
