/**
 * The encoder-settings grid (`npm run bench -- --only grid`): bytes, encode time and perceptual quality of AVIF and
 * WebP settings on real photos, to choose DEFAULT_PRESET's encoder settings by measurement.
 *
 * 1. Each photo is decoded upright and resized to 1280 px wide (the largest variant that gets AVIF, so the one that
 *    sets AVIF's time budget); that is the reference, and every setting is encoded from those same pixels with sharp
 *    on one thread, then scored against it.
 * 2. The full-size WebP against the seed design's (Pillow, q85 method 6, at the upload's size): each scored against
 *    the original at its own size; ours at the full variant's size for a range of qualities, to find the lowest
 *    quality that is at least as faithful as Pillow's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { EncoderSettings, VariantSpec } from '../lib/variants';
import { runSeedDesign } from './bench-pillow';
import { QualityMeter, formatScore, writeReference } from './bench-quality';
import { kb, median, ms, pct, progress, table } from './bench-table';

export interface GridPhoto {
  readonly label: string;
  readonly file: string;
}

interface Setting {
  readonly format: 'avif' | 'webp';
  readonly quality: number;
  readonly effort: number;
}

const WIDTH = 1280;
const AVIF_EFFORTS = [1, 2, 3, 4];
const AVIF_QUALITIES = [45, 50, 55, 60];
const WEBP_QUALITIES = [75, 80, 85, 88, 90];
/** WebP qualities tried for the full-size variant against Pillow's. */
const FULL_WEBP_QUALITIES = [80, 84, 85, 86, 87, 88, 89, 90];
const WEBP_EFFORTS = [3, 4, 5];

interface Cell {
  readonly bytes: number;
  readonly pixels: number;
  readonly cpuMs: number;
  readonly score: number;
}

function settings(): Setting[] {
  return [
    ...AVIF_EFFORTS.flatMap((effort) => AVIF_QUALITIES.map((quality) => ({ format: 'avif' as const, quality, effort }))),
    ...WEBP_EFFORTS.flatMap((effort) => WEBP_QUALITIES.map((quality) => ({ format: 'webp' as const, quality, effort }))),
  ];
}

const label = (s: Setting) => `${s.format} q${s.quality} effort ${s.effort}`;

export interface GridOptions {
  readonly workDir: string;
  readonly meter: QualityMeter;
  readonly current: EncoderSettings;
  /** The preset's largest variant: the full-size WebP's size. */
  readonly full: VariantSpec;
  /** A python3 with Pillow, or why there is none (the second part is then skipped). */
  readonly pillow: { python: string } | { unavailable: string };
}

export async function benchEncoderGrid(photos: readonly GridPhoto[], options: GridOptions): Promise<string[]> {
  const { workDir, meter, current } = options;
  const grid = settings();
  const cells = new Map<string, Cell[]>(grid.map((s) => [label(s), []]));
  const threads = sharp.concurrency();
  sharp.concurrency(1);
  try {
    for (const photo of photos) {
      const { data, info } = await sharp(fs.readFileSync(photo.file))
        .autoOrient()
        .resize(WIDTH, undefined, { kernel: 'lanczos3', withoutEnlargement: true })
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      const raw = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
      const reference = await writeReference(raw(), path.join(workDir, `grid-reference-${photo.label}.png`));
      for (const setting of grid) {
        progress(`grid: ${photo.label} ${label(setting)}`);
        const cpu = process.cpuUsage();
        const encoded = await (setting.format === 'avif'
          ? raw().avif({ quality: setting.quality, effort: setting.effort })
          : raw().webp({ quality: setting.quality, effort: setting.effort })
        ).toBuffer();
        const used = process.cpuUsage(cpu);
        cells.get(label(setting))!.push({
          bytes: encoded.length,
          pixels: info.width * info.height,
          cpuMs: (used.user + used.system) / 1000,
          score: await meter.score(reference, encoded),
        });
      }
      fs.rmSync(reference, { force: true });
    }
  } finally {
    sharp.concurrency(threads);
  }

  const lines: string[] = [];
  lines.push(`Encoder grid: ${photos.length} photos (${photos.map((p) => p.label).join(', ')}), each resized to ${WIDTH} px wide;`);
  lines.push(`quality by ${meter.name}; time is CPU time of one encode, sharp on one thread; bytes relative to the current setting per photo.`);
  for (const format of ['avif', 'webp'] as const) {
    const currentSetting = current[format];
    const baseline = cells.get(label({ format, ...currentSetting }));
    const rows = grid.filter((s) => s.format === format).map((setting) => {
      const row = cells.get(label(setting))!;
      const relative = baseline ? median(row.map((cell, i) => cell.bytes / baseline[i].bytes)) : NaN;
      const msPerMp = row.reduce((sum, c) => sum + c.cpuMs, 0) / (row.reduce((sum, c) => sum + c.pixels, 0) / 1e6);
      const bpp = row.reduce((sum, c) => sum + c.bytes * 8, 0) / row.reduce((sum, c) => sum + c.pixels, 0);
      const mean = row.reduce((sum, c) => sum + c.score, 0) / row.length;
      const worst = meter.lowerIsBetter ? Math.max(...row.map((c) => c.score)) : Math.min(...row.map((c) => c.score));
      const isCurrent = setting.quality === currentSetting.quality && setting.effort === currentSetting.effort;
      return [
        `${label(setting)}${isCurrent ? ' (current)' : ''}`,
        bpp.toFixed(3), Number.isNaN(relative) ? '-' : pct(relative), ms(msPerMp), formatScore(mean), formatScore(worst),
      ];
    });
    lines.push('', table(['setting', 'bits/px', 'bytes vs current', 'CPU ms/MP', 'quality mean', 'quality worst'], rows));
  }
  lines.push('', ...(await fullSizeWebpAgainstPillow(photos, options)));
  return lines;
}

async function fullSizeWebpAgainstPillow(photos: readonly GridPhoto[], options: GridOptions): Promise<string[]> {
  const { workDir, meter, current, full, pillow } = options;
  const title = `Full-size WebP (${full.name}: at most ${full.width}x${full.height}, effort ${current.webp.effort}) against Pillow's q85 method 6 ` +
    'at the upload\'s size; each scored against the original at its own size; * = at least as faithful as Pillow\'s';
  if (!('python' in pillow)) return [title, `skipped: ${pillow.unavailable}`];
  const rows: string[][] = [];
  for (const photo of photos) {
    progress(`grid: ${photo.label} full-size WebP against Pillow's`);
    const input = fs.readFileSync(photo.file);
    const original = await writeReference(sharp(input).autoOrient(), path.join(workDir, 'grid-original.png'));
    const seed = runSeedDesign(pillow.python, photo.file, workDir, true);
    const theirs = await meter.score(original, fs.readFileSync(seed.webpFile));
    const { data, info } = await sharp(input)
      .autoOrient()
      .resize(full.width, full.height, { fit: 'inside', kernel: 'lanczos3', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const raw = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
    const reference = await writeReference(raw(), path.join(workDir, 'grid-full.png'));
    const cells: string[] = [];
    let lowest = '-';
    for (const quality of FULL_WEBP_QUALITIES) {
      const encoded = await raw().webp({ quality, effort: current.webp.effort }).toBuffer();
      const score = await meter.score(reference, encoded);
      const asGood = meter.lowerIsBetter ? score <= theirs : score >= theirs;
      if (asGood && lowest === '-') lowest = `q${quality}${encoded.length <= seed.bytes.webp ? '' : ' (LARGER)'}`;
      cells.push(`${kb(encoded.length)} ${formatScore(score)}${asGood ? '*' : ''}`);
    }
    rows.push([photo.label, `${info.width}x${info.height}`, `${kb(seed.bytes.webp)} ${formatScore(theirs)}`, ...cells, lowest]);
  }
  return [title, table(['photo', 'our size', 'Pillow q85 m6', ...FULL_WEBP_QUALITIES.map((q) => `ours q${q}`), 'lowest as faithful'], rows)];
}
