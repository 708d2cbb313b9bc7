/**
 * Target mode on images none of its settings were fitted on: large generated images (fixtures/images.ts) of the
 * kinds whose predicted sizes are hardest: a 4000x3000 photo-like image with per-pixel grain, a 3000x2000 flat
 * illustration, a 2400x1500 coloured-text image and a 3000x2000 transparent PNG. Per image the whole default preset
 * is rendered as the processor renders it (one thread), and every lossy rendition is scored again from its bytes with
 * the project's SSIMULACRA 2.1 against the source resized the same way.
 *
 *   node -r esbuild-register measure/synthetic-check.ts [grain|flat|text|alpha]...
 *
 * Printed per rendition: bytes, quality, recorded score and source, and the score from the bytes; per image the
 * lowest measured and predicted scores, how far the first choice (AVIF, else WebP) falls below its JPEG, and CPU.
 */
import sharp from 'sharp';
import { colouredTextPng, flatIllustrationPng, photoJpeg, transparentPng } from '../fixtures/images';
import { inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { decoded, image8 } from '../functions/processor/targeting';
import { decode, render, resized } from '../functions/processor/transform';
import { qualityLabel } from '../lib/formats';
import { ssimulacra2 } from '../lib/ssimulacra2';
import { DEFAULT_PRESET, overridePreset } from '../lib/variants';
import { kb, table } from './bench-table';

const IMAGES: Readonly<Record<string, () => Promise<Buffer>>> = {
  grain: () => photoJpeg(4000, 3000),
  flat: () => flatIllustrationPng(3000, 2000),
  text: () => colouredTextPng(2400, 1500),
  alpha: () => transparentPng(3000, 2000),
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(IMAGES);
  const unknown = names.filter((name) => !IMAGES[name]);
  if (unknown.length > 0) throw new Error(`Expected one of ${Object.keys(IMAGES).join(', ')} but received ${unknown.join(', ')}`);
  sharp.concurrency(1);
  const preset = overridePreset(DEFAULT_PRESET, { quality: { mode: 'target' } });
  const limits = limitsForMemory(2048);
  for (const name of names) {
    const input = await IMAGES[name]();
    const inspection = await inspect(input, limits);
    const raw = await decode(input, inspection, preset, limits.maxPixels);
    const started = process.cpuUsage();
    const rendition = await render(input, inspection, preset, limits.maxPixels, { concurrency: 1 });
    const used = process.cpuUsage(started);
    const rows: string[][] = [];
    const scores = new Map<string, number>();
    const lowest = { measured: Infinity, predicted: Infinity };
    for (const variant of rendition.variants.filter((v) => v.format !== 'png')) {
      const spec = preset.variants.find((v) => v.name === variant.name)!;
      const reference = await resized(raw, spec, variant.format, preset);
      const score = ssimulacra2(await image8(reference), await decoded(variant.data));
      scores.set(`${variant.format}/${variant.name}`, score);
      const source = variant.scoreSource ?? 'measured';
      lowest[source] = Math.min(lowest[source], score);
      rows.push([variant.format, variant.name, `${variant.width}`, kb(variant.data.length), `q${qualityLabel(variant.format, variant.quality!, variant.fullChroma)}`,
        `${variant.score?.toFixed(2)} ${source}`, score.toFixed(2)]);
    }
    let gap = -Infinity;
    for (const spec of preset.variants) {
      const first = scores.get(`avif/${spec.name}`) ?? scores.get(`webp/${spec.name}`);
      const jpeg = scores.get(`jpeg/${spec.name}`);
      if (first !== undefined && jpeg !== undefined) gap = Math.max(gap, jpeg - first);
    }
    console.log(`\n${name} (${inspection.width}x${inspection.height})`);
    console.log(table(['format', 'variant', 'width', 'bytes', 'quality', 'recorded', 'from bytes'], rows));
    console.log(`lowest measured ${lowest.measured.toFixed(2)}, lowest predicted ${lowest.predicted.toFixed(2)}; first choice at most ${gap.toFixed(2)} below its JPEG; CPU ${Math.round((used.user + used.system) / 1000)} ms`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
