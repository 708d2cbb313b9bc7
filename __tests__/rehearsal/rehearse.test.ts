/**
 * `npm run rehearse` as a person runs it: the dev stack applied to moto_server, a clean second plan, and the command
 * line's round trip through --outputs-file. About two minutes, so one test. It needs moto_server, terraform and a
 * provider mirror: where one is missing it skips and says why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { terraformBinary } from '../../lib/terraform-binary';
import { findMotoServer } from '../../rehearsal/moto-server';
import { findProviderMirror } from '../../rehearsal/provider-mirror';
import { runNode } from '../support/run-imgopt';

const ROOT = path.resolve(__dirname, '..', '..');
const moto = findMotoServer();
// Checked without findTerraform, which leaves a CLI configuration file behind in a worker that jest ends.
const mirror = process.env.TF_PLUGIN_MIRROR ?? findProviderMirror();
const unavailable = 'unavailable' in moto ? moto.unavailable
  : !terraformBinary() ? 'no terraform binary on the PATH'
  : !mirror ? 'no Terraform provider mirror (TF_PLUGIN_MIRROR, or a registry.terraform.io folder on this machine)'
  : undefined;
if (unavailable) process.stderr.write(`Skipping the rehearsal test: ${unavailable}\n`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

(unavailable ? test.skip : test)('npm run rehearse applies at least 45 resources, plans clean, and runs imgopt against them', async () => {
  // The rehearsal's scratch folder goes under this one, so the test can tell it was removed.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-test-'));
  try {
    const run = await runNode(['-r', 'esbuild-register', path.join(ROOT, 'rehearsal', 'rehearse.ts')], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
    // stderr rides along so a failure shows why.
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    const applied = Number(/Applied (\d+) resources/.exec(run.stdout)?.[1]);
    expect(applied).toBeGreaterThanOrEqual(45);
    expect(run.stdout).toMatch(/Left out \d+ resources moto cannot create/);
    expect(run.stdout).toContain('aws_cloudfront_distribution.');
    expect(run.stdout).toContain(`Second plan is clean for the ${applied} applied resources`);
    expect(run.stdout).toMatch(/uploaded s3:\/\/\S+\/rehearsal-photo\.jpg: image [0-9a-f]{24}/);
    expect(run.stdout).toMatch(/read back \d+ bytes, identical, version \S+ of a versioned bucket/);
    expect(run.stdout).toMatch(/exit 1: imgopt: no image [0-9a-f]{24} in \S+ \(environment dev\)/);
    expect(run.stdout).toContain('Rehearsal passed');
    expect(run.stdout).toMatch(/Total \d+\.\d s/);

    // Nothing left behind: moto_server stopped, the scratch folder removed.
    const pid = Number(/moto_server \S+ \(pid (\d+)\)/.exec(run.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('imgopt-rehearsal-'))).toEqual([]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 6 * 60_000);
