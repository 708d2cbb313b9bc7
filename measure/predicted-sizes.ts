/**
 * What the processor's predicted sizes chose against what they needed: the data behind `predictedQuality`'s trend
 * base and `MAX_TREND` (functions/processor/targeting.ts, docs/benchmarks.md "Predicted sizes").
 *
 * `node -r esbuild-register measure/predicted-sizes.ts <image>...`: per image, target mode chooses every quality as
 * the processor does; then every predicted JPEG and WebP size is encoded at a grid of qualities (target mode's
 * encoders, the chroma chosen) and scored with the project's SSIMULACRA 2.1 against the source resized the same
 * way. Printed per predicted rendition: the quality chosen and its score (interpolated from the grid), and the
 * lowest qualities interpolated to reach 74 (a predicted size may be 1 point under the target) and 75, with the
 * qualities chosen at 320 and 640 px. One thread; a 12 MP photo takes about 4 minutes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { chooseQualities, choiceKey, decoded, image8 } from '../functions/processor/targeting';
import { decode, encodePixels, formatsFor, resized } from '../functions/processor/transform';
import { qualityLabel } from '../lib/formats';
import { ssimulacra2Reference } from '../lib/ssimulacra2';
import { DEFAULT_PRESET, overridePreset } from '../lib/variants';
import { table } from './bench-table';

const GRID = [50, 54, 58, 62, 66, 70, 74, 77, 80, 83, 86, 89, 92, 95];

interface Point { readonly quality: number; readonly score: number }

/** The score at `quality`, linear between grid points. */
function scoreAt(points: readonly Point[], quality: number): number {
  if (quality <= points[0].quality) return points[0].score;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    if (quality <= b.quality) return a.score + ((quality - a.quality) / (b.quality - a.quality)) * (b.score - a.score);
  }
  return points[points.length - 1].score;
}

/** The lowest integer quality whose interpolated score reaches `goal`, or `>95`. */
function lowestReaching(points: readonly Point[], goal: number): string {
  for (let quality = 50; quality <= 95; quality++) if (scoreAt(points, quality) >= goal) return `q${quality}`;
  return '>95';
}

async function main(): Promise<void> {
  const images = process.argv.slice(2);
  if (images.length === 0) throw new Error('usage: predicted-sizes.ts <image>...');
  sharp.concurrency(1);
  const limits = limitsForMemory(2048);
  const preset = overridePreset(DEFAULT_PRESET, { quality: { mode: 'target' } });
  const rows: string[][] = [];
  for (const file of images) {
    const input = fs.readFileSync(file);
    const inspection = await inspect(input, limits);
    const raw = await decode(input, inspection, preset, limits.maxPixels);
    const image = path.basename(file).replace(/\.[^.]+$/, '');
    const jobs = preset.variants.flatMap((variant) => formatsFor(variant, preset, inspection).map((format) => ({ variant, format })));
    const choices = await chooseQualities(raw, preset, jobs);
    for (const format of ['jpeg', 'webp'] as const) {
      const chosenAt = (name: string) => {
        const variant = preset.variants.find((v) => v.name === name);
        const choice = variant && choices.get(choiceKey(variant, format));
        return choice ? `q${choice.quality}` : '-';
      };
      for (const variant of preset.variants.filter((v) => v.fit === 'inside')) {
        const choice = choices.get(choiceKey(variant, format));
        if (!choice || choice.scoreSource !== 'predicted') continue;
        const pixels = await resized(raw, variant, format, preset);
        const score = ssimulacra2Reference(await image8(pixels));
        const points: Point[] = [];
        for (const quality of GRID) {
          points.push({ quality, score: score(await decoded(await encodePixels(pixels, format, preset, quality, Boolean(choice.fullChroma)))) });
        }
        rows.push([image.slice(0, 2), format, `${variant.name} (${pixels.width})`, chosenAt('320'), chosenAt('640'),
          `q${qualityLabel(format, choice.quality, choice.fullChroma)}`, scoreAt(points, choice.quality).toFixed(1), lowestReaching(points, 74), lowestReaching(points, 75)]);
        process.stderr.write(`${image} ${format} ${variant.name}\n`);
      }
    }
  }
  console.log(table(['image', 'format', 'size', '320 q', '640 q', 'chosen', 'score', 'for 74', 'for 75'], rows));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
