/**
 * The project's SSIMULACRA 2.1 against the reference implementation: scores every pair listed in
 * `shared/quality/scores.csv` and prints, as JSON, each pair's two scores, the mean and worst difference, and the
 * metric's speed. The test suite runs it in a child process (jest's module sandbox makes typed-array code several
 * times slower than plain Node), and so does the benchmark.
 *
 *   node -r esbuild-register measure/quality-pairs.ts [folder]     (default: ../shared/quality beside the project)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Image8, ssimulacra2Reference } from '../lib/ssimulacra2';
import { PROJECT_ROOT } from '../lib/project-root';
import { readImage8 } from './quality';

export const REFERENCE_PAIRS = path.resolve(PROJECT_ROOT, '..', 'shared', 'quality');

export interface PairScore {
  readonly pair: string;
  readonly ours: number;
  readonly reference: number;
  readonly difference: number;
}

export interface PairsReport {
  readonly pairs: readonly PairScore[];
  readonly meanDifference: number;
  readonly maxDifference: number;
  /** Milliseconds per megapixel of the distorted images, scoring against a prepared reference. */
  readonly msPerMegapixel: number;
}

export async function scoreReferencePairs(folder: string = REFERENCE_PAIRS): Promise<PairsReport> {
  const rows = fs.readFileSync(path.join(folder, 'scores.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
  const prepared = new Map<string, (image: Image8) => number>();
  const pairs: PairScore[] = [];
  let ms = 0;
  let megapixels = 0;
  for (const [pair, reference, distorted, , , score] of rows) {
    if (!prepared.has(reference)) prepared.set(reference, ssimulacra2Reference(await readImage8(path.join(folder, reference))));
    const image = await readImage8(path.join(folder, distorted));
    const started = process.hrtime.bigint();
    const ours = prepared.get(reference)!(image);
    ms += Number(process.hrtime.bigint() - started) / 1e6;
    megapixels += (image.width * image.height) / 1e6;
    pairs.push({ pair, ours, reference: Number(score), difference: Math.abs(ours - Number(score)) });
  }
  const differences = pairs.map((p) => p.difference);
  return {
    pairs,
    meanDifference: differences.reduce((sum, d) => sum + d, 0) / differences.length,
    maxDifference: Math.max(...differences),
    msPerMegapixel: ms / megapixels,
  };
}

if (require.main === module) {
  scoreReferencePairs(process.argv[2]).then((report) => {
    process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  }, (error) => {
    process.stderr.write(`quality-pairs: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
