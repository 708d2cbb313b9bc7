/**
 * The GitHub API side of plan review, run by actions/github-script in the workflows (and unit-tested with a fake
 * client in __tests__/workflow.test.ts):
 *
 * - `postPlanComments` (plan-review.yml): one comment per stack on the pull request, found again on the next push by
 *   the hidden marker that plan-review/plan-summary.ts puts on its first line, and updated in place.
 * - `findReviewedPlan` (apply.yml): which plan run's artifact holds the plans reviewed for the commit now on main,
 *   refusing when main's code is not exactly what was planned.
 */
const fs = require('node:fs');
const path = require('node:path');

/** The workflow that makes the plans (its file name is its id in the API). */
const PLAN_WORKFLOW = 'plan-review.yml';
/** plan-review/plan-summary.ts `planMarker`. */
const MARKER = /^<!-- imgopt-plan:[A-Za-z0-9._-]+ -->$/;

/** Name of the artifact holding a pull request head's plans. plan-review.yml uploads it under this name. */
function artifactName(headSha) {
  return `reviewed-plans-${headSha}`;
}

function short(sha) {
  return sha.slice(0, 12);
}

/**
 * Posts `<root>/<stack>/comment.md` of every stack, or updates the comment posted for that stack by an earlier
 * push. Only the workflow's own (bot) comments are updated: a person quoting a marker keeps their comment.
 */
async function postPlanComments({ github, context, core, root }) {
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const stacks = fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  let posted = 0;
  for (const stack of stacks) {
    const file = path.join(root, stack, 'comment.md');
    if (!fs.existsSync(file)) continue;
    const body = fs.readFileSync(file, 'utf8');
    const marker = body.slice(0, body.indexOf('\n'));
    if (!MARKER.test(marker)) {
      core.setFailed(`${file} does not start with a plan marker (<!-- imgopt-plan:<stack> -->): not posted`);
      continue;
    }
    const existing = comments.find((comment) => comment.user?.type === 'Bot' && comment.body?.startsWith(`${marker}\n`));
    if (existing) {
      await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
      core.info(`Updated the plan comment of ${stack}: ${existing.html_url}`);
    } else {
      const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
      core.info(`Posted the plan comment of ${stack}: ${data.html_url}`);
    }
    posted += 1;
  }
  if (posted === 0) core.warning(`No plan summaries under ${root}: nothing posted`);
  return posted;
}

/**
 * Finds the plans reviewed for the commit this push put on main: the merged pull request, the last successful
 * plan-review run of its head commit, and that run's artifact. Sets the step outputs `artifact`, `run-id`,
 * `pull-request` and `head-sha`; on any doubt fails the step, so nothing is applied.
 */
async function findReviewedPlan({ github, context, core }) {
  const { owner, repo } = context.repo;
  const sha = context.sha;
  const fail = (message) => {
    core.setFailed(`Nothing applied: ${message}`);
    return undefined;
  };

  const { data: pulls } = await github.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: sha });
  const pull = pulls.find((candidate) => candidate.merged_at && candidate.merge_commit_sha === sha);
  if (!pull) return fail(`${short(sha)} reached main without a merged pull request, so no plan of it was reviewed`);
  const headSha = pull.head.sha;

  // Same tree, same code: true after a merge, squash or rebase of a branch that was up to date with main.
  const [merged, planned] = await Promise.all(
    [sha, headSha].map((commit_sha) => github.rest.git.getCommit({ owner, repo, commit_sha })),
  );
  if (merged.data.tree.sha !== planned.data.tree.sha) {
    return fail(
      `main at ${short(sha)} holds other code than the head of #${pull.number} (${short(headSha)}) that was planned: ` +
        'the branch was behind main when merged. Require branches to be up to date before merging (docs/plan-review.md)',
    );
  }

  const { data: runs } = await github.rest.actions.listWorkflowRuns({
    owner,
    repo,
    workflow_id: PLAN_WORKFLOW,
    head_sha: headSha,
    event: 'pull_request',
    status: 'success',
    per_page: 20,
  });
  const run = runs.workflow_runs
    .filter((candidate) => candidate.head_sha === headSha)
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[0];
  if (!run) return fail(`no successful ${PLAN_WORKFLOW} run planned ${short(headSha)} (#${pull.number})`);

  const name = artifactName(headSha);
  const { data: listed } = await github.rest.actions.listWorkflowRunArtifacts({ owner, repo, run_id: run.id, name });
  if (!listed.artifacts.some((artifact) => artifact.name === name && !artifact.expired)) {
    return fail(`the plan run ${run.html_url} has no artifact ${name} (expired?): push to a new pull request to plan again`);
  }

  core.setOutput('artifact', name);
  core.setOutput('run-id', String(run.id));
  core.setOutput('pull-request', String(pull.number));
  core.setOutput('head-sha', headSha);
  core.info(`Applying the plans reviewed on #${pull.number} at ${short(headSha)}: ${run.html_url}`);
  return { artifact: name, runId: run.id, pullRequest: pull.number, headSha };
}

module.exports = { PLAN_WORKFLOW, artifactName, findReviewedPlan, postPlanComments };
