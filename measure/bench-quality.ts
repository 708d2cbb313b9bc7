/**
 * Perceptual quality for the benchmark: how far an encoded output is from a reference of the same size.
 *
 * SSIMULACRA v1 (`ssimulacra_main` from Debian's libjxl-devtools: 0 = identical, ~0.01-0.02 good, > 0.1 bad) when it
 * is installed; otherwise SSIM from ssim.js (1 = identical), and the meter says so. Both images are compared as
 * 8-bit sRGB, alpha flattened onto white the same way, so a transparent source scores what a page shows.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { ssim } from 'ssim.js';

export interface QualityMeter {
  /** Name and scale, as printed next to every score. */
  readonly name: string;
  readonly lowerIsBetter: boolean;
  /** Why the preferred tool is not used, when it is not. */
  readonly fallback?: string;
  /** Score of `candidate` (encoded bytes, any format sharp decodes) against the reference PNG at the same size. */
  score(referencePng: string, candidate: Buffer): Promise<number>;
}

export function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, program);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The pixels a reference or a candidate is compared as: flattened onto white, 8-bit sRGB, no alpha. */
export function comparable(image: sharp.Sharp): sharp.Sharp {
  return image.flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha();
}

/** Writes `image` as the reference PNG a meter compares against. */
export async function writeReference(image: sharp.Sharp, file: string): Promise<string> {
  await comparable(image).png({ compressionLevel: 1 }).toFile(file);
  return file;
}

export function isAtLeastAsGood(meter: QualityMeter, score: number, than: number): boolean {
  return meter.lowerIsBetter ? score <= than : score >= than;
}

export function formatScore(score: number): string {
  return score.toFixed(4);
}

/** SSIMULACRA where installed, else SSIM; `workDir` holds the decoded candidates. */
export function qualityMeter(workDir: string): QualityMeter {
  const program = onPath('ssimulacra_main');
  if (program) {
    let count = 0;
    return {
      name: 'SSIMULACRA v1 (ssimulacra_main; 0 = identical, lower is better)',
      lowerIsBetter: true,
      async score(referencePng, candidate) {
        const file = path.join(workDir, `candidate-${process.pid}-${count++}.png`);
        await comparable(sharp(candidate)).png({ compressionLevel: 1 }).toFile(file);
        try {
          const result = spawnSync(program, [referencePng, file], { encoding: 'utf8' });
          const value = Number(result.stdout.trim().split(/\s+/).pop());
          if (result.status !== 0 || !Number.isFinite(value)) {
            throw new Error(`ssimulacra_main ${referencePng} ${file} failed: ${(result.stderr || result.stdout).trim()}`);
          }
          return value;
        } finally {
          fs.rmSync(file, { force: true });
        }
      },
    };
  }
  return {
    name: 'SSIM (ssim.js; 1 = identical, higher is better)',
    lowerIsBetter: false,
    fallback: 'ssimulacra_main is not installed (Debian package libjxl-devtools): SSIM from ssim.js is used instead',
    async score(referencePng, candidate) {
      const rgba = async (image: sharp.Sharp) => {
        const { data, info } = await comparable(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
      };
      const [reference, decoded] = await Promise.all([rgba(sharp(referencePng)), rgba(sharp(candidate))]);
      return ssim(reference, decoded).mssim;
    },
  };
}
