/**
 * `npm run bench -- --only quality`: what quality target mode buys, on the real photos (docs/benchmarks.md, "Quality
 * target mode"). Per photo, the whole default preset is rendered three ways, one thread each, and every lossy
 * rendition is scored from its bytes with the project's SSIMULACRA 2.1 against the source resized to the same size:
 * (a) today's fixed settings (`encoders` of DEFAULT_PRESET, in `fixed` mode);
 * (b) fixed settings calibrated so every photo meets the target: per format, the lowest quality whose worst photo
 *     scores at least the target at every variant (found by a search per photo and variant), encoded with target
 *     mode's encoder settings (AVIF at `avifEffort`), so that (c)/(b) measures choosing per image, nothing else;
 * (c) per-image targeting (`quality.mode: 'target'`), scores recorded by the processor and scored again here.
 * Printed: per format and variant the quality, mean bytes and mean / min score of each; (c)/(b) bytes per format and
 * over all formats; each mode's CPU time; the worst first choice against its JPEG fallback; the metric's ms per MP.
 * The screenshots and the transparent image are not photos and are left out (`_photo_` in the file name).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { SLOPE, STEP, searchQuality } from '../functions/processor/targeting';
import { Raw, RenderedVariant, decode, encodePixels, render, resized } from '../functions/processor/transform';
import { Image8, ssimulacra2Reference } from '../lib/ssimulacra2';
import { DEFAULT_PRESET, NEGOTIATION_PREFERENCE, TARGETED_FORMATS, TargetedFormat, VariantPreset, overridePreset } from '../lib/variants';
import { kb, progress, ratio, table } from './bench-table';

export interface QualityBenchOptions {
  /** Folder holding the photos. */
  readonly images: string;
  /** Only photos whose names start with one of these. @default - every photo */
  readonly photos?: readonly string[];
}

const MODES = ['a', 'b', 'c'] as const;
type Mode = (typeof MODES)[number];

interface Scored {
  readonly quality: number;
  readonly bytes: number;
  readonly score: number;
  readonly source?: string;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

export async function benchQuality(options: QualityBenchOptions): Promise<void> {
  sharp.concurrency(1);
  const limits = limitsForMemory(2048);
  const target = overridePreset(DEFAULT_PRESET, { quality: { mode: 'target' } });
  // The default preset is in target mode: (a) and (b) are its encoders in fixed mode, explicitly.
  const fixed = overridePreset(DEFAULT_PRESET, { quality: { mode: 'fixed' } });
  const goal = target.quality.target;
  const photos = fs.readdirSync(options.images).filter((name) => /_photo_/.test(name))
    .filter((name) => !options.photos || options.photos.some((prefix) => name.startsWith(prefix))).sort();
  if (photos.length === 0) throw new Error(`no photos (files named *_photo_*) in ${options.images}`);

  let metricMs = 0;
  let metricPixels = 0;
  const time: Record<Mode, number> = { a: 0, b: 0, c: 0 };
  // results[mode][photo]["format/variant"]
  const results: Record<Mode, Map<string, Map<string, Scored>>> = { a: new Map(), b: new Map(), c: new Map() };
  const needed = new Map<string, number>();
  const prepared = new Map<string, { raw: Raw; input: Buffer; inspection: Awaited<ReturnType<typeof inspect>> }>();

  const referenceOf = async (raw: Raw, variantName: string, format: TargetedFormat, preset: VariantPreset) => {
    const spec = preset.variants.find((v) => v.name === variantName)!;
    const pixels = await resized(raw, spec, format, preset);
    const started = process.cpuUsage();
    const score = ssimulacra2Reference({ data: pixels.data, width: pixels.width, height: pixels.height, channels: pixels.channels as 3 });
    metricMs += cpuMs(started);
    metricPixels += pixels.width * pixels.height;
    return {
      pixels,
      score: async (data: Buffer) => {
        const decoded = await sharp(data).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
        const began = process.cpuUsage();
        const value = score({ data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels as 3 } as Image8);
        metricMs += cpuMs(began);
        metricPixels += decoded.info.width * decoded.info.height;
        return value;
      },
    };
  };

  const renderScored = async (mode: Mode, photo: string, preset: VariantPreset) => {
    const { input, inspection, raw } = prepared.get(photo)!;
    const started = process.cpuUsage();
    const rendition = await render(input, inspection, preset, limits.maxPixels, { concurrency: 1 });
    time[mode] += cpuMs(started);
    const scored = new Map<string, Scored>();
    for (const variant of rendition.variants.filter((v: RenderedVariant) => v.format !== 'png')) {
      const { score } = await referenceOf(raw, variant.name, variant.format as TargetedFormat, preset);
      scored.set(`${variant.format}/${variant.name}`, { quality: variant.quality!, bytes: variant.data.length, score: await score(variant.data), source: variant.scoreSource });
    }
    results[mode].set(photo, scored);
  };

  for (const photo of photos) {
    progress(`quality: ${photo}`);
    const input = fs.readFileSync(path.join(options.images, photo));
    const inspection = await inspect(input, limits);
    prepared.set(photo, { input, inspection, raw: await decode(input, inspection, DEFAULT_PRESET, limits.maxPixels) });
    await renderScored('a', photo, fixed);
    await renderScored('c', photo, target);
    // The lowest quality reaching the target for this photo and rendition, searched from (c)'s choice.
    const { raw } = prepared.get(photo)!;
    for (const [key, chosen] of results.c.get(photo)!) {
      const [format, variantName] = key.split('/') as [TargetedFormat, string];
      const { pixels, score } = await referenceOf(raw, variantName, format, target);
      const found = await searchQuality(async (quality) => {
        const data = await encodePixels(pixels, format, target, quality);
        return { data, score: await score(data) };
      }, goal, target.quality.bounds[format], chosen.quality, SLOPE[format], 6, STEP[format]);
      needed.set(format, Math.max(needed.get(format) ?? 0, found.quality));
    }
  }
  const calibrated = overridePreset(fixed, {
    encoders: {
      avif: { quality: needed.get('avif'), effort: target.quality.avifEffort },
      webp: { quality: needed.get('webp') },
      jpeg: { quality: needed.get('jpeg') },
    },
  });
  for (const photo of photos) {
    progress(`quality: ${photo}, calibrated fixed settings`);
    await renderScored('b', photo, calibrated);
  }

  const keys = [...results.a.get(photos[0])!.keys()];
  const rows: string[][] = [];
  const bytes: Record<Mode, Map<string, number>> = { a: new Map(), b: new Map(), c: new Map() };
  for (const key of keys) {
    const format = key.split('/')[0];
    const cells: string[] = [key];
    for (const mode of MODES) {
      const all = photos.map((photo) => results[mode].get(photo)!.get(key)).filter((s): s is Scored => s !== undefined);
      const total = all.reduce((sum, s) => sum + s.bytes, 0);
      bytes[mode].set(format, (bytes[mode].get(format) ?? 0) + total);
      const qualities = [...new Set(all.map((s) => s.quality))].sort((x, y) => x - y);
      const quality = qualities.length === 1 ? `${qualities[0]}` : `${qualities[0]}-${qualities[qualities.length - 1]}`;
      const scores = all.map((s) => s.score);
      cells.push(quality, kb(total / all.length), (scores.reduce((x, y) => x + y, 0) / scores.length).toFixed(1), Math.min(...scores).toFixed(1));
      if (mode === 'c') cells.push(`${all.filter((s) => s.source === 'predicted').length}/${all.length}`);
    }
    const b = photos.reduce((sum, photo) => sum + (results.b.get(photo)!.get(key)?.bytes ?? 0), 0);
    const c = photos.reduce((sum, photo) => sum + (results.c.get(photo)!.get(key)?.bytes ?? 0), 0);
    cells.push(ratio(c / b));
    rows.push(cells);
  }
  console.log(`\nQuality: ${photos.length} photos (${photos.map((p) => p.slice(0, 2)).join(', ')}), target ${goal}, SSIMULACRA 2.1 (project's), each rendition scored from its bytes`);
  console.log('(a) today fixed, (b) fixed calibrated to the worst photo (target-mode encoders), (c) per-image targeting; KB mean per photo; "pred" = renditions whose recorded score is predicted\n');
  console.log(table(['rendition', 'a q', 'a KB', 'a mean', 'a min', 'b q', 'b KB', 'b mean', 'b min', 'c q', 'c KB', 'c mean', 'c min', 'c pred', 'c/b bytes'], rows));

  console.log('');
  const all = (mode: Mode) => [...bytes[mode].values()].reduce((x, y) => x + y, 0);
  console.log(table(['format', 'a KB', 'b KB', 'c KB', 'c/b'], [
    ...TARGETED_FORMATS.map((format) => [format, kb(bytes.a.get(format)! / photos.length), kb(bytes.b.get(format)! / photos.length), kb(bytes.c.get(format)! / photos.length), ratio(bytes.c.get(format)! / bytes.b.get(format)!)]),
    ['all', kb(all('a') / photos.length), kb(all('b') / photos.length), kb(all('c') / photos.length), ratio(all('c') / all('b'))],
  ]));
  console.log(`\ncalibrated (b) qualities: ${TARGETED_FORMATS.map((format) => `${format} q${needed.get(format)}`).join(', ')}`);
  console.log(`CPU, whole preset, one thread, sum over the photos: (a) ${time.a.toFixed(0)} ms, (b) ${time.b.toFixed(0)} ms, (c) ${time.c.toFixed(0)} ms; (c)/(a) ${ratio(time.c / time.a)}`);

  // Every negotiated rendition of (c) and its first choice against the JPEG fallback.
  let lowest = Infinity;
  let lowestAt = '';
  let worstGap = -Infinity;
  let worstGapAt = '';
  for (const photo of photos) {
    const scored = results.c.get(photo)!;
    for (const spec of target.variants) {
      for (const format of spec.formats) {
        const s = scored.get(`${format}/${spec.name}`);
        if (s && s.score < lowest) { lowest = s.score; lowestAt = `${photo.slice(0, 2)} ${format} ${spec.name} (${s.source})`; }
      }
      const first = NEGOTIATION_PREFERENCE.find((format) => spec.formats.includes(format))!;
      const gap = scored.get(`jpeg/${spec.name}`)!.score - scored.get(`${first}/${spec.name}`)!.score;
      if (gap > worstGap) { worstGap = gap; worstGapAt = `${photo.slice(0, 2)} ${spec.name}`; }
    }
  }
  console.log(`(c) lowest score of any negotiated rendition: ${lowest.toFixed(2)} (${lowestAt}); first choice at most ${worstGap.toFixed(2)} points below its JPEG (${worstGapAt})`);
  console.log(`metric: ${(metricMs / (metricPixels / 1e6)).toFixed(0)} ms per megapixel (references prepared and candidates scored, ${(metricPixels / 1e6).toFixed(0)} MP)`);
}
