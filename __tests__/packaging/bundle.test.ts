import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { bundleProcessor } from '../../packaging/bundle';

/*
 * The real bundling hook: esbuild, sharp's Linux binaries fetched from the npm registry (cached under .build by the
 * global setup), and the zip Lambda receives.
 */
const arm = bundleProcessor({ architecture: 'arm64' });
const x64 = bundleProcessor({ architecture: 'x86_64' });

function entries(zipPath: string): Record<string, Uint8Array> {
  return unzipSync(fs.readFileSync(zipPath));
}

describe('processor bundle', () => {
  test('packs the handler with sharp and its libvips for the function\'s architecture only', () => {
    const files = Object.keys(entries(arm.zipPath));
    expect(files).toContain('index.js');
    expect(files).toContain('node_modules/sharp/package.json');
    expect(files.some((f) => /^node_modules\/@img\/sharp-linux-arm64\/lib\/sharp-linux-arm64.*\.node$/.test(f))).toBe(true);
    expect(files.some((f) => /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so/.test(f))).toBe(true);
    expect(files.some((f) => f.includes('linux-x64'))).toBe(false);
    expect(files.filter((f) => f.endsWith('.md') && !/LICENSE/i.test(f))).toEqual([]);
    expect(files.some((f) => f.startsWith('node_modules/sharp/src/') || f.endsWith('.h'))).toBe(false);
  });

  test('keeps sharp out of the bundled handler, at the version the project installed', () => {
    const files = entries(arm.zipPath);
    const handler = Buffer.from(files['index.js']).toString('utf8');
    expect(handler).toMatch(/exports\.handler|handler:/);
    const sharpManifest = JSON.parse(Buffer.from(files['node_modules/sharp/package.json']).toString('utf8'));
    expect(sharpManifest.version).toBe(arm.sharpVersion);
    expect(arm.sharpVersion).toBe(require('../../package.json').dependencies.sharp);
  });

  test('reports the archive\'s real SHA-256 as the source code hash', () => {
    const zip = fs.readFileSync(arm.zipPath);
    expect(arm.sourceCodeHash).toBe(createHash('sha256').update(zip).digest('base64'));
    expect(arm.bytes).toBe(zip.length);
    expect(arm.bytes).toBeLessThan(50 * 1024 * 1024);
  });

  test('is byte-for-byte the same when rebuilt from the same code (no spurious plan diff)', () => {
    const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    try {
      // Reuse the fetched binaries: only the packing is under test here.
      fs.cpSync(path.join(path.dirname(arm.zipPath), 'sharp'), path.join(buildDir, 'sharp'), { recursive: true });
      const again = bundleProcessor({ architecture: 'arm64', buildDir });
      expect(again.zipPath).not.toBe(arm.zipPath);
      expect(again.sourceCodeHash).toBe(arm.sourceCodeHash);
    } finally {
      fs.rmSync(buildDir, { recursive: true, force: true });
    }
  });

  describe('run from the x86_64 archive on this machine', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'processor-'));
    beforeAll(() => {
      for (const [name, data] of Object.entries(entries(x64.zipPath))) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), data);
      }
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('the packed sharp loads its binaries and resizes an image', async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sharp = require(path.join(dir, 'node_modules', 'sharp'));
      const png = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } })
        .png()
        .toBuffer();
      const { data, info } = await sharp(png).resize({ width: 150 }).webp().toBuffer({ resolveWithObject: true });
      expect(info).toMatchObject({ format: 'webp', width: 150, height: 100 });
      expect(data.length).toBeGreaterThan(0);
    });
  });
});
