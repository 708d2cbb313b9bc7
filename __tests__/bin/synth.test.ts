import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/* `npm run synth` (and cdktf.json's app) as a user runs it: a real child process writing a real cdktf.out. */
const ROOT = path.resolve(__dirname, '..', '..');

function synth(env: Record<string, string>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-out-'));
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'synth.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CDKTF_OUTDIR: outdir, ...env },
    encoding: 'utf8',
  });
  return { ...result, outdir };
}

describe('synth command', () => {
  test('writes one stack per environment under stacks/image-optimization-<suffix>', () => {
    const { status, stderr, outdir } = synth({ IMAGE_OPT_PREVIEW_SUFFIX: 'pr3515' });
    try {
      expect(stderr).toBe('');
      expect(status).toBe(0);
      expect(fs.readdirSync(path.join(outdir, 'stacks')).sort()).toEqual(
        ['image-optimization-dev', 'image-optimization-pr3515', 'image-optimization-prod', 'image-optimization-staging'],
      );
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
      expect(Object.keys(manifest.stacks).sort()).toEqual(
        ['image-optimization-dev', 'image-optimization-pr3515', 'image-optimization-prod', 'image-optimization-staging'],
      );
      const prod = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'image-optimization-prod', 'cdk.tf.json'), 'utf8'));
      expect(prod.terraform.backend.s3).toMatchObject({ key: 'image-optimization/prod/terraform.tfstate', encrypt: true, use_lockfile: true });
      const [fn] = Object.values(prod.resource.aws_lambda_function) as { filename: string }[];
      expect(fs.statSync(path.join(outdir, 'stacks', 'image-optimization-prod', fn.filename)).size).toBeGreaterThan(1_000_000);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a bad suffix is one clear line and exit code 1, with nothing written', () => {
    const { status, stderr, stdout, outdir } = synth({ IMAGE_OPT_PREVIEW_SUFFIX: 'PR_12' });
    try {
      expect(status).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        'Invalid configuration: PR_12: Expected lower-case letters, digits and single hyphens, starting and ending with a letter or digit for environment suffix but received "PR_12"',
      ]);
      expect(fs.existsSync(path.join(outdir, 'stacks'))).toBe(false);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('still reads the former ENVIRONMENT_SUFFIX, with a one-line deprecation notice', () => {
    const { status, stderr, outdir } = synth({ ENVIRONMENT_SUFFIX: 'pr3515' });
    try {
      expect(status).toBe(0);
      expect(stderr).toBe('warning: ENVIRONMENT_SUFFIX is deprecated: set IMAGE_OPT_PREVIEW_SUFFIX instead\n');
      expect(fs.existsSync(path.join(outdir, 'stacks', 'image-optimization-pr3515'))).toBe(true);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('an unknown region is one line for all environments', () => {
    const { status, stderr, outdir } = synth({ IMAGE_OPT_REGION: 'mars-north-1' });
    fs.rmSync(outdir, { recursive: true, force: true });
    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid configuration: Expected one of the regions in lib\/regions.ts, .* for AWS region but received "mars-north-1"/)]);
  });
});
