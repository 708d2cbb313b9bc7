/**
 * `npm start` (after synthesis): what each synthesized stack deploys, read back from cdktf.out: its resources by
 * kind, its names, its state, and the URL shapes its CDN serves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explicitPath, negotiatedPath } from '../lib/keys';
import { environmentSettings } from '../main';
import { stackName } from '../lib/naming';

const outdir = path.resolve(__dirname, '..', 'cdktf.out');
const example = 'a1b2c3d4e5f6a7b8c9d0e1f2';

for (const settings of environmentSettings(process.env)) {
  const name = stackName(settings.suffix);
  const file = path.join(outdir, 'stacks', name, 'cdk.tf.json');
  const synthesized = JSON.parse(fs.readFileSync(file, 'utf8'));
  const resources = Object.entries<Record<string, unknown>>(synthesized.resource ?? {});
  const count = resources.reduce((sum, [, byId]) => sum + Object.keys(byId).length, 0);
  const backend = synthesized.terraform?.backend ?? {};
  const state = backend.s3
    ? `s3://${backend.s3.bucket}/${backend.s3.key} (${backend.s3.region}, encrypted, lockfile)`
    : `local file ${backend.local?.path} (offline)`;
  const variant = settings.preset.variants[Math.min(2, settings.preset.variants.length - 1)];
  console.log(`\n${name}  (${path.relative(process.cwd(), file)})`);
  console.log(`  region         ${settings.region}`);
  console.log(`  state          ${state}`);
  console.log(`  resources      ${count} in ${resources.length} kinds`);
  console.log(`  uploads        s3://${settings.names.uploadBucket}`);
  console.log(`  variants       ${Object.values(settings.names.outputBuckets).map((bucket) => `s3://${bucket}`).join(' ')}`);
  console.log(`  metadata       ${settings.names.table}`);
  console.log(`  processor      ${settings.names.processorFunction} (${settings.processor.architecture}, ${settings.processor.memoryMb} MB, ${settings.processor.timeoutSeconds} s)`);
  console.log(`  failure queue  ${settings.names.failureQueue}`);
  console.log(`  preset         ${settings.preset.variants.map((v) => `${v.name}[${v.formats.join('/')}]`).join(' ')}`);
  console.log(`  URLs           https://<cdn>${negotiatedPath(example, variant.name)}  (format chosen from Accept)`);
  console.log(`                 https://<cdn>${explicitPath(variant.formats[0], example, variant.name)}`);
}
console.log('\nDeploy one with: npx cdktf deploy image-optimization-<suffix>   (see README.md)');
