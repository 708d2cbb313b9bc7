/**
 * `npm run bench -- --only animation`: an animated upload at the edge of the animation budget, rendered as the
 * processor renders it (inspect, budget check, render), each run in its own process so its peak RSS is its own,
 * next to the baseline measured in the same run: the same upload rendered the way it was before animations were
 * kept (first frame only, every output a still).
 *
 * The upload is a photo-like 480x270 GIF with as many frames as the frame-pixel budget of `memoryMb` allows
 * (functions/processor/limits.ts). At the base profile's 1536 MB that is 776 frames, whose making alone needs a
 * 400 MB raw strip, so the default is 512 MB (258 frames): the same per-pixel rules, a third of the size.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_PRESET } from '../lib/variants';
import { checkAnimationBudget, estimatedEncodeMs, animationOf } from '../functions/processor/animation';
import { inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { decode, encode, formatsFor, render } from '../functions/processor/transform';

const WIDTH = 480;
const HEIGHT = 270;

interface RunResult {
  readonly ms: number;
  readonly bytes: number;
  readonly outputs: number;
  readonly peakMb: number;
  readonly estimatedMs: number;
}

/** The frames of a photo-like animation: a gradient scene that pans, with grain, so frames differ as video does. */
async function makeGif(frames: number): Promise<Buffer> {
  const data = Buffer.alloc(WIDTH * HEIGHT * frames * 4);
  let x = 12345;
  for (let f = 0; f < frames; f += 1) {
    for (let i = 0; i < WIDTH * HEIGHT; i += 1) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      const px = i % WIDTH;
      const py = Math.floor(i / WIDTH);
      data.set([(px + f * 7) % 256, (py * 2 + f * 3) % 256, ((px ^ py) + (x & 15)) % 256, 255], (f * WIDTH * HEIGHT + i) * 4);
    }
  }
  return sharp(data, { raw: { width: WIDTH, height: HEIGHT * frames, channels: 4, pageHeight: HEIGHT } }).gif({ loop: 0, delay: 40 }).toBuffer();
}

/** One run, in this process: `mode` animated (the processor's render) or stills (first frame only, the baseline). */
async function child(file: string, mode: 'animated' | 'stills', memoryMb: number): Promise<void> {
  sharp.cache(false);
  const input = fs.readFileSync(file);
  const limits = limitsForMemory(memoryMb);
  const started = Date.now();
  const inspection = await inspect(input, limits);
  checkAnimationBudget(inspection, DEFAULT_PRESET, limits.animation);
  let outputs: Buffer[];
  if (mode === 'animated') {
    outputs = (await render(input, inspection, DEFAULT_PRESET, limits.maxPixels)).variants.map((variant) => variant.data);
  } else {
    const raw = await decode(input, inspection, DEFAULT_PRESET, limits.maxPixels);
    const jobs = DEFAULT_PRESET.variants.flatMap((variant) => formatsFor(variant, DEFAULT_PRESET, inspection).map((format) => ({ variant, format })));
    outputs = [];
    for (let i = 0; i < jobs.length; i += 2) {
      const pair = await Promise.all(jobs.slice(i, i + 2).map((job) => encode(raw, job.variant, job.format, DEFAULT_PRESET)));
      outputs.push(...pair.map((variant) => variant.data));
    }
  }
  const result: RunResult = {
    ms: Date.now() - started,
    bytes: outputs.reduce((sum, data) => sum + data.length, 0),
    outputs: outputs.length,
    peakMb: process.resourceUsage().maxRSS / 1024,
    estimatedMs: estimatedEncodeMs(inspection, animationOf(inspection)!, DEFAULT_PRESET, limits.animation),
  };
  process.stdout.write(JSON.stringify(result));
}

export async function benchAnimation(options: { memoryMb?: number } = {}): Promise<void> {
  const memoryMb = options.memoryMb ?? 512;
  const limits = limitsForMemory(memoryMb);
  const frames = Math.floor(limits.animation.maxFramePixels / (WIDTH * HEIGHT));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-animation-'));
  try {
    const file = path.join(work, 'edge.gif');
    fs.writeFileSync(file, await makeGif(frames));
    const run = (mode: string): RunResult => {
      const result = spawnSync(process.execPath, ['-r', 'esbuild-register', __filename, '--child', file, mode, String(memoryMb)], {
        cwd: path.resolve(__dirname, '..'),
        encoding: 'utf8',
        env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
      });
      if (result.status !== 0) throw new Error(`the ${mode} run failed:\n${result.stderr}`);
      return JSON.parse(result.stdout) as RunResult;
    };
    const baseline = run('stills');
    const animated = run('animated');
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
    console.log(`Animated upload at the budget's edge of a ${memoryMb} MB function: ${WIDTH}x${HEIGHT} GIF, ${frames} frames `
      + `(${((WIDTH * HEIGHT * frames) / 1e6).toFixed(1)} MP of frames, budget ${(limits.animation.maxFramePixels / 1e6).toFixed(1)} MP), `
      + `${mb(fs.statSync(file).size)} MB, ${os.cpus().length} cores\n`);
    console.log('render                                   time      outputs   bytes out   peak RSS');
    const line = (name: string, r: RunResult) =>
      `${name.padEnd(40)} ${`${(r.ms / 1000).toFixed(2)} s`.padStart(8)}  ${String(r.outputs).padStart(7)}  ${`${mb(r.bytes)} MB`.padStart(10)}  ${`${r.peakMb.toFixed(0)} MB`.padStart(9)}`;
    console.log(line('baseline: first frame only (as before)', baseline));
    console.log(line('animated WebP + still posters', animated));
    console.log(`\nestimated animated encode time (the budget's estimate): ${(animated.estimatedMs / 1000).toFixed(1)} s; `
      + `peak RSS ${((animated.peakMb / memoryMb) * 100).toFixed(0)}% of ${memoryMb} MB`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4] as 'animated' | 'stills', Number(process.argv[5])).catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
