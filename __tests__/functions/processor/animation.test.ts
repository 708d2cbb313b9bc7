/**
 * The animated pipeline on animations made here and on sharp's own animated test GIF: every output decoded, its
 * frames, delays and loop compared with the input's, alpha kept, nothing upscaled, posters single-frame; the budget
 * refuses before anything is encoded; a still upload renders exactly as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { PermanentFailure } from '../../../lib/failures';
import { DEFAULT_PRESET, animates } from '../../../lib/variants';
import { animationOf, checkAnimationBudget } from '../../../functions/processor/animation';
import { inspect } from '../../../functions/processor/inspect';
import { limitsForMemory } from '../../../functions/processor/limits';
import { render } from '../../../functions/processor/transform';
import { animatedGif, animatedTransparentWebp, photoJpeg } from '../../../fixtures/images';

const SHARED_GIF = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'images', 'edge', 'sharpfixture__animated-loop-3.gif');
const limits = limitsForMemory(1536);

async function renderAll(input: Buffer) {
  const inspection = await inspect(input, limits);
  checkAnimationBudget(inspection, DEFAULT_PRESET, limits.animation);
  return { inspection, rendition: await render(input, inspection, DEFAULT_PRESET, limits.maxPixels) };
}

/** Every output of an animated upload checked against the input's own frames, delays and loop. */
async function expectAnimationKept(input: Buffer) {
  const source = await sharp(input, { animated: true }).metadata();
  const { inspection, rendition } = await renderAll(input);
  expect(animationOf(inspection)).toEqual({
    frames: source.pages,
    delays: source.delay,
    loop: source.loop ?? 0,
    durationMs: source.delay!.reduce((sum, delay) => sum + delay, 0),
  });
  const animatedNames = DEFAULT_PRESET.variants.filter(animates).map((variant) => variant.name);
  for (const variant of rendition.variants) {
    const output = await sharp(variant.data, { animated: true }).metadata();
    expect(output.width).toBe(variant.width);
    expect(variant.width).toBeLessThanOrEqual(inspection.width);
    expect(variant.height).toBeLessThanOrEqual(inspection.height);
    if (variant.format === 'webp' && animatedNames.includes(variant.name)) {
      expect({ name: variant.name, pages: output.pages, pageHeight: output.pageHeight, delay: output.delay, loop: output.loop ?? 0 })
        .toEqual({ name: variant.name, pages: source.pages, pageHeight: variant.height, delay: source.delay, loop: source.loop ?? 0 });
      expect(variant.frames).toBe(source.pages);
      // An animated WebP keeps the preset's WebP quality: no score speaks for all its frames.
      expect({ quality: variant.quality, score: variant.score }).toEqual({ quality: DEFAULT_PRESET.encoders.webp.quality, score: undefined });
    } else {
      expect({ name: variant.name, format: variant.format, pages: output.pages ?? 1 }).toEqual({ name: variant.name, format: variant.format, pages: 1 });
      expect(variant.frames).toBeUndefined();
      // A lossy poster is a still in target mode (the default): its quality chosen and its score at the target.
      if (variant.format !== 'png') {
        expect(variant.scoreSource).toMatch(/^(measured|predicted)$/);
        expect(variant.score!).toBeGreaterThanOrEqual(DEFAULT_PRESET.quality.target - (variant.scoreSource === 'predicted' ? 1 : 0));
      }
    }
  }
  return { inspection, rendition };
}

test('an animated GIF keeps its frames, per-frame delays and loop count in every animated WebP; the rest are still posters', async () => {
  const { rendition } = await expectAnimationKept(await animatedGif(500, 300, 6, { delay: [40, 80, 120, 160, 200, 1000], loop: 2 }));
  // The width variants that fit within 500 px share one encode, and nothing is upscaled past the source.
  const webp = rendition.variants.filter((variant) => variant.format === 'webp');
  expect(webp.find((variant) => variant.name === '320')).toMatchObject({ width: 320, height: 192 });
  expect(webp.find((variant) => variant.name === 'full')).toMatchObject({ width: 500, height: 300 });
  expect(webp.find((variant) => variant.name === 'thumb')).toMatchObject({ width: 256, height: 256 });
});

test('an animated WebP with transparency keeps its alpha in every frame, and the JPEG poster is flattened', async () => {
  const input = await animatedTransparentWebp(200, 100, 5, { delay: 70, loop: 0 });
  const { rendition } = await expectAnimationKept(input);
  const animated = rendition.variants.find((variant) => variant.format === 'webp' && variant.name === '640')!;
  const { data, info } = await sharp(animated.data, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const frameBytes = info.width * (info.pageHeight ?? info.height) * 4;
  for (let frame = 0; frame < 5; frame += 1) {
    const corner = data[frame * frameBytes + 3];
    expect(corner).toBe(0);
  }
  expect(rendition.variants.filter((variant) => variant.format === 'png').length).toBeGreaterThan(0);
  const jpeg = rendition.variants.find((variant) => variant.format === 'jpeg' && variant.name === '640')!;
  expect((await sharp(jpeg.data).metadata()).hasAlpha).toBe(false);
});

const sharedGif = fs.existsSync(SHARED_GIF);
if (!sharedGif) process.stderr.write(`Skipping the shared animated GIF test: ${SHARED_GIF} is absent\n`);
(sharedGif ? test : test.skip)(`sharp's animated-loop-3.gif keeps its 10 frames, delays and loop of 3${sharedGif ? '' : ' (skipped: the file is absent)'}`, async () => {
  const { inspection } = await expectAnimationKept(fs.readFileSync(SHARED_GIF));
  expect(animationOf(inspection)).toMatchObject({ frames: 10, loop: 3 });
});

test('over the frame-pixel budget or the encode-time budget: ANIMATION_TOO_LARGE, before anything is rendered', async () => {
  const input = await animatedGif(400, 300, 40);
  const inspection = await inspect(input, limits);
  // 128 MB allows 8.4 MP of frames; this animation has 4.8 MP, so a 64 MB function is over.
  expect(() => checkAnimationBudget(inspection, DEFAULT_PRESET, limitsForMemory(128).animation)).not.toThrow();
  const tooBig = () => checkAnimationBudget(inspection, DEFAULT_PRESET, limitsForMemory(64).animation);
  expect(tooBig).toThrow(PermanentFailure);
  expect(tooBig).toThrow(/40 frames of 400x300 \(4800000 frame pixels\); the budget is 4194304/);
  // 4.8 + 3.07 MP of output frames at 200 ms/MP is ~1.6 s: over an invocation with 2 s (a 1 s budget).
  const tooSlow = () => checkAnimationBudget(inspection, DEFAULT_PRESET, limitsForMemory(1536, 2000).animation);
  expect(tooSlow).toThrow(/would take about 1\.6 s to encode; the budget is 1\.0 s/);
  try {
    tooSlow();
  } catch (error) {
    expect((error as PermanentFailure).reason).toBe('ANIMATION_TOO_LARGE');
  }
});

test('a still upload renders as before: one frame per output, no frame count, the preset\'s formats', async () => {
  const { inspection, rendition } = await renderAll(await photoJpeg(900, 600));
  expect(animationOf(inspection)).toBeUndefined();
  expect(rendition.variants.map((variant) => `${variant.format}/${variant.name}`).sort())
    .toEqual(DEFAULT_PRESET.variants.flatMap((variant) => variant.formats.map((format) => `${format}/${variant.name}`)).sort());
  for (const variant of rendition.variants) {
    expect(variant.frames).toBeUndefined();
    expect((await sharp(variant.data, { animated: true }).metadata()).pages ?? 1).toBe(1);
  }
});

test('a one-frame GIF is a still', async () => {
  const inspection = await inspect(await animatedGif(50, 40, 1), limits);
  expect(animationOf(inspection)).toBeUndefined();
});
