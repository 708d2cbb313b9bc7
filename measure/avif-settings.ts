/**
 * AVIF effort and chroma subsampling at equal score: per photo and size, the lowest integer quality whose AVIF
 * scores at least the target on the project's SSIMULACRA 2.1, for each effort and subsampling, with its bytes and
 * the CPU time of that one encode (one thread). The numbers next to `avifEffort` and `avifChroma` in lib/variants.ts
 * and in docs/benchmarks.md ("AVIF effort and chroma at equal score") come from it.
 *
 *   node -r esbuild-register measure/avif-settings.ts [--target 75] [--widths 640,1280] <photo>...
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { searchQuality } from '../functions/processor/targeting';
import { ssimulacra2Reference } from '../lib/ssimulacra2';

sharp.concurrency(1);

const EFFORTS = [1, 2, 3] as const;
const CHROMAS = ['4:4:4', '4:2:0'] as const;

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function main(args: string[]): Promise<void> {
  let target = 75;
  let widths = [640, 1280];
  const photos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--target') target = Number(args[++i]);
    else if (args[i] === '--widths') widths = args[++i].split(',').map(Number);
    else photos.push(args[i]);
  }
  const totals = new Map<string, { bytes: number; ms: number; n: number }>();
  console.log('photo width effort chroma quality score bytes encode_ms');
  for (const photo of photos) {
    for (const width of widths) {
      const { data, info } = await sharp(fs.readFileSync(photo)).autoOrient().resize(width, undefined, { withoutEnlargement: true })
        .toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
      const score = ssimulacra2Reference({ data, width: info.width, height: info.height, channels: 3 });
      for (const effort of EFFORTS) {
        for (const chroma of CHROMAS) {
          const encodeMs = new Map<number, number>();
          const found = await searchQuality(async (quality) => {
            const started = process.cpuUsage();
            const avif = await sharp(data, raw).avif({ quality, effort, chromaSubsampling: chroma }).toBuffer();
            encodeMs.set(quality, cpuMs(started));
            const decoded = await sharp(avif).raw().toBuffer({ resolveWithObject: true });
            return { data: avif, score: score({ data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 }) };
          }, target, { min: 20, max: 95 }, 55, 0.73, 8);
          const ms = encodeMs.get(found.quality)!;
          console.log(path.basename(photo).slice(0, 2), info.width, effort, chroma, found.quality, found.score.toFixed(2), found.data.length, ms.toFixed(0));
          const key = `${width} e${effort} ${chroma}`;
          const total = totals.get(key) ?? { bytes: 0, ms: 0, n: 0 };
          totals.set(key, { bytes: total.bytes + found.data.length, ms: total.ms + ms, n: total.n + 1 });
        }
      }
    }
  }
  console.log('\nper width, effort and chroma: mean KB and mean encode ms at the lowest quality scoring the target');
  for (const [key, { bytes, ms, n }] of totals) console.log(key, (bytes / n / 1024).toFixed(1), 'KB', (ms / n).toFixed(0), 'ms');
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`avif-settings: ${error.message}`);
  process.exit(1);
});
