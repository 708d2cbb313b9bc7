/**
 * `npm run plan:offline`: synthesizes every stack with the offline switch (local state, no credentials) and runs
 * `terraform init`, `validate` and `plan` on each, printing each one's plan review summary (plan-review/plan-summary.ts):
 * what it would create, update, replace and delete, by construct. Plans are saved as
 * `.build/offline-plan/stacks/<stack>/tfplan`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp } from '../main';
import { ConfigError } from '../stacks/settings';
import { CdkTfJson, renderPlanText } from './plan-summary';
import { findTerraform, planStack } from './terraform';

async function main(): Promise<number> {
  const outdir = path.resolve(__dirname, '..', '.build', 'offline-plan');
  fs.rmSync(outdir, { recursive: true, force: true });
  try {
    buildApp({ ...process.env, IMAGE_OPT_OFFLINE: '1' }, outdir).synth();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    for (const problem of problems) console.error(`Invalid configuration: ${problem}`);
    return 1;
  }
  const lookup = findTerraform();
  if ('unavailable' in lookup) {
    console.error(`Cannot plan: ${lookup.unavailable}`);
    return 1;
  }
  const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
  console.log(`Planning ${stacks.length} stacks offline (providers from the ${lookup.terraform.source})`);
  let failed = 0;
  for (const stack of stacks) {
    const dir = path.join(outdir, 'stacks', stack);
    const started = Date.now();
    try {
      const { plan } = await planStack(lookup.terraform, dir);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const cdkJson = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')) as CdkTfJson;
      console.log(`\n${renderPlanText(stack, plan, { cdkJson }).trimEnd()}`);
      console.log(`  (${seconds} s, plan in ${path.relative(process.cwd(), dir)}/tfplan)`);
    } catch (error) {
      failed += 1;
      console.error(`${stack}: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
