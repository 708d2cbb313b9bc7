import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { photoPixels } from '../../fixtures/images';
import { Image8, ssimulacra2, ssimulacra2Reference } from '../../lib/ssimulacra2';
import { PROJECT_ROOT } from '../../lib/project-root';
import { PairsReport, REFERENCE_PAIRS } from '../../measure/quality-pairs';

function photo(width = 256, height = 192): Image8 {
  return { data: photoPixels(width, height), width, height, channels: 3 };
}

async function jpegOf(image: Image8, quality: number): Promise<Image8> {
  const raw = { width: image.width, height: image.height, channels: image.channels };
  const encoded = await sharp(image.data, { raw }).jpeg({ quality }).toBuffer();
  const data = await sharp(encoded).raw().toBuffer();
  return { ...image, data };
}

describe('SSIMULACRA 2.1', () => {
  test('identical images score 100', () => {
    const image = photo();
    expect(ssimulacra2(image, { ...image, data: Buffer.from(image.data) })).toBe(100);
  });

  test('scores fall as the distortion grows', async () => {
    const image = photo();
    const score = ssimulacra2Reference(image);
    const [q90, q50, q10] = await Promise.all([90, 50, 10].map((quality) => jpegOf(image, quality)));
    const scores = [score(q90), score(q50), score(q10)];
    expect(scores[0]).toBeLessThan(100);
    expect(scores[0]).toBeGreaterThan(scores[1]);
    expect(scores[1]).toBeGreaterThan(scores[2]);
  });

  test('scoring against a prepared reference gives the same score as scoring the pair', async () => {
    const image = photo();
    const distorted = await jpegOf(image, 60);
    expect(ssimulacra2Reference(image)(distorted)).toBe(ssimulacra2(image, distorted));
  });

  test('an image with alpha is scored on a dark and a light background, the worse kept', () => {
    const width = 64, height = 64;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([200, 40, 40, i % width < 32 ? 255 : 0], i * 4);
    const reference: Image8 = { data: rgba, width, height, channels: 4 };
    expect(ssimulacra2(reference, { ...reference, data: Buffer.from(rgba) })).toBe(100);
    // The same colour but opaque everywhere: invisible on no background, so it must lose points.
    const opaque = Buffer.from(rgba);
    for (let i = 0; i < width * height; i++) opaque[i * 4 + 3] = 255;
    expect(ssimulacra2(reference, { ...reference, data: opaque })).toBeLessThan(50);
  });

  test('fails on images of different sizes', () => {
    expect(() => ssimulacra2(photo(64, 64), photo(64, 48))).toThrow(/Expected the distorted image to be 64x64 like the reference but received 64x48/);
  });

  test('fails on a buffer that does not hold width x height x channels bytes', () => {
    expect(() => ssimulacra2({ data: new Uint8Array(10), width: 4, height: 4, channels: 3 }, photo(4, 4)))
      .toThrow(/Expected 48 bytes for the reference image \(4x4x3\) but received 10/);
  });

  const available = fs.existsSync(path.join(REFERENCE_PAIRS, 'scores.csv'));
  if (!available) {
    // eslint-disable-next-line no-console
    console.log(`Skipping the reference pairs: ${path.join(REFERENCE_PAIRS, 'scores.csv')} is not there (shared/quality beside the project)`);
  }
  (available ? test : test.skip)('matches the reference implementation on its 90 scored pairs: each within 0.5, mean under 0.1', () => {
    // In a plain Node child: jest's module sandbox makes this typed-array code several times slower.
    const child = spawnSync(process.execPath, ['-r', 'esbuild-register', path.join(PROJECT_ROOT, 'measure', 'quality-pairs.ts'), REFERENCE_PAIRS], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const report = JSON.parse(child.stdout) as PairsReport;
    const worst = [...report.pairs].sort((a, b) => b.difference - a.difference).slice(0, 5);
    // eslint-disable-next-line no-console
    console.log(`SSIMULACRA 2.1 against the reference on ${report.pairs.length} pairs: mean |difference| ${report.meanDifference.toFixed(4)}, worst ${worst
      .map((d) => `${d.pair} ${d.ours.toFixed(3)} vs ${d.reference.toFixed(3)}`).join('; ')}`);
    expect(report.pairs).toHaveLength(90);
    expect(report.maxDifference).toBeLessThanOrEqual(0.5);
    expect(report.meanDifference).toBeLessThan(0.1);
  }, 180_000);
});
