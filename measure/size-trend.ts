/**
 * How a rendition's score changes with its size at one encoder quality: the data behind target mode's correction for
 * the sizes it does not measure (functions/processor/targeting.ts `predictedQuality`, docs/benchmarks.md).
 *
 * `node -r esbuild-register measure/size-trend.ts <out.jsonl> <image>...`: per image, lossy format and preset size
 * (320 px upward; the thumb is a crop), a grid of qualities is encoded with target mode's encoder settings and scored
 * with the project's SSIMULACRA 2.1 against the source resized as the processor resizes it. One JSON line per
 * encode: image, format, variant, width, height, quality, bytes, score. One thread; a 12 MP photo takes ~3 minutes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { decoded, image8 } from '../functions/processor/targeting';
import { decode, encodePixels, formatsFor, resized } from '../functions/processor/transform';
import { ssimulacra2Reference } from '../lib/ssimulacra2';
import { DEFAULT_PRESET, TARGETED_FORMATS, TargetedFormat, overridePreset } from '../lib/variants';

const GRID: Readonly<Record<TargetedFormat, number[]>> = {
  avif: [30, 36, 42, 46, 50, 54, 58, 62, 66, 70, 76, 84, 90],
  webp: [50, 58, 64, 68, 72, 76, 80, 84, 88, 92, 95],
  jpeg: [50, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92, 95],
};

async function main(): Promise<void> {
  const [out, ...images] = process.argv.slice(2);
  if (!out || images.length === 0) throw new Error('usage: size-trend.ts <out.jsonl> <image>...');
  sharp.concurrency(1);
  const limits = limitsForMemory(2048);
  const preset = overridePreset(DEFAULT_PRESET, { quality: { mode: 'target' } });
  for (const file of images) {
    const input = fs.readFileSync(file);
    const inspection = await inspect(input, limits);
    const raw = await decode(input, inspection, preset, limits.maxPixels);
    const image = path.basename(file).replace(/\.[^.]+$/, '');
    for (const variant of preset.variants.filter((v) => v.fit === 'inside')) {
      for (const format of formatsFor(variant, preset, inspection).filter((f): f is TargetedFormat => (TARGETED_FORMATS as readonly string[]).includes(f))) {
        const pixels = await resized(raw, variant, format, preset);
        const score = ssimulacra2Reference(await image8(pixels));
        for (const quality of GRID[format]) {
          const data = await encodePixels(pixels, format, preset, quality);
          const value = score(await decoded(data));
          fs.appendFileSync(out, `${JSON.stringify({ image, format, variant: variant.name, width: pixels.width, height: pixels.height, quality, bytes: data.length, score: Math.round(value * 100) / 100 })}\n`);
        }
        process.stderr.write(`${image} ${format} ${variant.name} done\n`);
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
