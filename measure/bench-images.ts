/**
 * The image section of `npm run bench` (issue 3's benchmark): what the processor costs per image and per variant,
 * measured against baselines taken in the same run.
 *
 * - Every image is processed in a child process of its own (measure/bench-image-child.ts), so each peak RSS is that
 *   image's alone; it is reported against the dev function's configured memory.
 * - Per variant and format: its resize+encode from the decoded pixels, alone, sharp on one thread; its bytes and
 *   what it saves against the upload.
 * - The whole preset (machine's threads) against the naive baseline (a decode per output, one after another).
 * - On the ~12 MP photo: the whole render on one thread against the sum of its own steps timed alone; the whole
 *   preset against the seed design's three full-size Pillow conversions; the full-size WebP's bytes and perceptual
 *   quality against Pillow's.
 * - The largest photo's peak memory; the handler's start from the unzipped x86_64 archive under Node 22.
 *
 * Targets print as PASS/FAIL lines with their numbers; nothing here asserts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import sharp from 'sharp';
import { ENVIRONMENTS } from '../main';
import { buildSettings, deploymentFromEnv } from '../stacks/settings';
import { DEFAULT_PRESET, VariantPreset, VariantSpec, overridePreset } from '../lib/variants';
import { Raw, decode, variantSize } from '../functions/processor/transform';
import { inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { photoJpeg, transparentPng } from '../fixtures/images';
import { archiveTarget } from './bench-archive';
import type { ChildRequest, ChildResult } from './bench-image-child';
import { GridPhoto, benchEncoderGrid } from './bench-grid';
import { findPillow, runSeedDesign } from './bench-pillow';
import { QualityMeter, formatScore, isAtLeastAsGood, qualityMeter, writeReference } from './bench-quality';
import { TargetResult, kb, mb, ms, pct, progress, ratio, table, targetLine } from './bench-table';

const ROOT = path.resolve(__dirname, '..');
const BUILD_DIR = process.env.IMAGE_OPT_BUILD_DIR ?? path.join(ROOT, '.build');
const WORK = path.join(BUILD_DIR, 'bench');
/** The real photos shared beside the project (see SOURCES.md there); generated images stand in when absent. */
const SHARED_IMAGES = path.resolve(ROOT, '..', 'shared', 'images');
const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

/** The environment whose configured function memory the peaks are reported against. */
const MEMORY_ENVIRONMENT = 'dev';
const MEMORY_SHARE = 0.6;
const TARGETS = { oneThreadOverSteps: 1.25, threadsOverNaive: 0.5, overPillow: 5 } as const;

export interface ImageBenchOptions {
  /** Folder of images. @default - ../shared/images when present, else generated photo-like images */
  readonly images?: string;
  /** Measurement runs on the ~12 MP photo (every other image: one). @default 3 */
  readonly runs: number;
  /** Cold handler starts from the archive. @default 5 */
  readonly archiveRuns: number;
}

interface BenchImage {
  readonly label: string;
  readonly file: string;
  readonly megapixels: number;
  readonly jpeg: boolean;
}

async function listImages(folder: string): Promise<BenchImage[]> {
  const files = fs.readdirSync(folder).filter((name) => IMAGE_FILE.test(name)).sort();
  return Promise.all(files.map(async (name) => {
    const file = path.join(folder, name);
    const metadata = await sharp(file).metadata();
    return { label: name, file, megapixels: (metadata.width * (metadata.pageHeight ?? metadata.height)) / 1e6, jpeg: metadata.format === 'jpeg' };
  }));
}

/** Photo-like JPEGs of 20, 12 and 2 MP and a transparent PNG, made once with the test suite's generators. */
async function generatedImages(): Promise<BenchImage[]> {
  const folder = path.join(WORK, 'generated');
  fs.mkdirSync(folder, { recursive: true });
  const wanted: [string, () => Promise<Buffer>][] = [
    ['generated_photo_6000x3376.jpg', () => photoJpeg(6000, 3376)],
    ['generated_photo_4032x3024.jpg', () => photoJpeg(4032, 3024)],
    ['generated_photo_1920x1200.jpg', () => photoJpeg(1920, 1200, { seed: 3 })],
    ['generated_transparent_2048x1536.png', () => transparentPng(2048, 1536)],
  ];
  for (const [name, make] of wanted) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) {
      progress(`generating ${name}`);
      fs.writeFileSync(file, await make());
    }
  }
  return listImages(folder);
}

/** Bundles the child so it runs under plain node, without a TypeScript loader in the measured process. */
function bundleChild(): string {
  const outfile = path.join(WORK, 'image-child.js');
  buildSync({
    entryPoints: [path.join(__dirname, 'bench-image-child.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['sharp', '@aws-sdk/*'],
    outfile,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  return outfile;
}

function runChild(script: string, request: Omit<ChildRequest, 'resultFile'>): ChildResult {
  const resultFile = path.join(WORK, `child-result-${process.pid}.json`);
  const requestFile = path.join(WORK, `child-request-${process.pid}.json`);
  fs.rmSync(resultFile, { force: true });
  fs.writeFileSync(requestFile, JSON.stringify({ ...request, resultFile }));
  const env = { ...process.env };
  // Node's own defaults, as on Lambda: no loader, no preload, the default thread pool of 4.
  delete env.NODE_OPTIONS;
  delete env.UV_THREADPOOL_SIZE;
  try {
    const child = spawnSync(process.execPath, [script, requestFile], { env, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    if (child.status !== 0 || !fs.existsSync(resultFile)) {
      throw new Error(`the benchmark child failed on ${request.file} (exit ${child.status}):\n${child.stderr}`);
    }
    return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ChildResult;
  } finally {
    fs.rmSync(requestFile, { force: true });
    fs.rmSync(resultFile, { force: true });
  }
}

const sumOfSteps = (result: ChildResult) =>
  result.decodeStep.ms + result.placeholderStep.ms + result.variants.reduce((sum, variant) => sum + variant.step.ms, 0);

/** The upload's bytes minus the largest WebP rendition's: what the processor records as saved. */
function largestWebpSaved(result: ChildResult): number {
  const webp = result.variants.filter((variant) => variant.format === 'webp');
  const largest = webp.reduce((best, variant) => (variant.width * variant.height > best.width * best.height ? variant : best), webp[0]);
  return largest ? 1 - largest.bytes / result.upload.bytes : NaN;
}

const largestVariant = (preset: VariantPreset) =>
  preset.variants.reduce((a, b) => (a.width * (a.height ?? a.width) >= b.width * (b.height ?? b.width) ? a : b));

/** A variant's reference for the quality score: the render's own decode, resized as the render resizes it. */
async function variantReference(raw: Raw, variant: VariantSpec, file: string): Promise<string> {
  const size = variantSize(variant, raw.width, raw.height);
  const image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
    .resize(size.width, size.height, { fit: variant.fit === 'cover' ? 'cover' : 'fill', position: 'attention' });
  return writeReference(image, file);
}

function imageReport(image: BenchImage, result: ChildResult, memoryMb: number, quality?: Map<string, number>): string[] {
  const upload = result.upload.bytes;
  const rows: string[][] = [
    ['decode (once)', `${result.decoded.width}x${result.decoded.height}`, ms(result.decodeStep.ms), ms(result.decodeStep.cpuMs), '', '', '', ...(quality ? [''] : [])],
  ];
  for (const variant of result.variants) {
    rows.push([
      `${variant.name}.${variant.format}`,
      `${variant.width}x${variant.height}`,
      ms(variant.step.ms),
      ms(variant.step.cpuMs),
      kb(variant.bytes),
      pct(variant.bytes / upload),
      pct(1 - variant.bytes / upload),
      ...(quality ? [formatScore(quality.get(`${variant.name}.${variant.format}`) ?? NaN)] : []),
    ]);
  }
  rows.push(['placeholder', '16 px', ms(result.placeholderStep.ms), ms(result.placeholderStep.cpuMs), '', '', '', ...(quality ? [''] : [])]);
  const outputs = result.variants.reduce((sum, variant) => sum + variant.bytes, 0);
  rows.push(['sum of the steps', '', ms(sumOfSteps(result)), '', kb(outputs), pct(outputs / upload), '', ...(quality ? [''] : [])]);
  const peakShare = result.peakRssBytes / (memoryMb * 1024 * 1024);
  return [
    `${image.label}: ${result.upload.format} ${result.upload.width}x${result.upload.height} (${image.megapixels.toFixed(1)} MP)` +
      `${result.upload.alpha ? ', alpha' : ''}, upload ${kb(upload)}`,
    table(['output', 'size', 'alone, 1 thread', 'CPU', 'bytes', 'of upload', 'saved', ...(quality ? ['quality'] : [])], rows),
    `whole preset, machine's threads (${result.availableParallelism} pipelines, sharp ${result.sharpDefaultThreads} thread(s) each): ` +
      `${ms(result.render.ms)}; naive baseline (a decode per output, one after another): ${ms(result.naive.ms)}; ` +
      `ratio ${ratio(result.render.ms / result.naive.ms)}`,
    ...(result.renderOneThread
      ? [`whole preset, one thread (render concurrency 1, sharp 1 thread): ${ms(result.renderOneThread.ms)}; ` +
        `sum of its steps alone ${ms(sumOfSteps(result))}; ratio ${ratio(result.renderOneThread.ms / sumOfSteps(result))}`]
      : []),
    `peak RSS ${mb(result.peakRssBytes)} = ${pct(peakShare)} of the ${MEMORY_ENVIRONMENT} function's ${memoryMb} MB ` +
      `(${peakShare < MEMORY_SHARE ? 'under' : 'NOT under'} ${pct(MEMORY_SHARE)}; ${mb(result.baseRssBytes)} before the upload is read, ` +
      `sharp and the SDK clients loaded; first render in the cold process ${ms(result.coldRenderMs)} at concurrency ${result.handlerConcurrency})`,
  ];
}

function summaryTable(results: [BenchImage, ChildResult][], memoryMb: number): string {
  return table(
    ['image', 'MP', 'upload', 'outputs', 'all outputs', 'largest WebP saves', 'preset, threads', 'naive', 'ratio', 'peak RSS', `of ${memoryMb} MB`, `< ${pct(MEMORY_SHARE)}`],
    results.map(([image, result]) => {
      const outputs = result.variants.reduce((sum, variant) => sum + variant.bytes, 0);
      const share = result.peakRssBytes / (memoryMb * 1024 * 1024);
      return [
        image.label, image.megapixels.toFixed(1), kb(result.upload.bytes), String(result.variants.length), kb(outputs),
        pct(largestWebpSaved(result)), ms(result.render.ms), ms(result.naive.ms), ratio(result.render.ms / result.naive.ms),
        mb(result.peakRssBytes), pct(share), share < MEMORY_SHARE ? 'yes' : 'NO',
      ];
    }),
  );
}

function header(images: BenchImage[], source: string, memoryMb: number, meter: QualityMeter, pillow: ReturnType<typeof findPillow>, preset: VariantPreset): string[] {
  const { avif, webp, jpeg, png } = preset.encoders;
  return [
    '',
    `Images: ${images.length} from ${source}`,
    `Machine: ${os.cpus().length} cores (availableParallelism ${os.availableParallelism()}), Node ${process.version}, sharp ${sharp.versions.sharp}, ` +
      `libvips ${sharp.versions.vips}, sharp's default threads ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'default (4)'}`,
    `Preset: DEFAULT_PRESET in fixed quality mode (target mode: --only quality), ${preset.variants.map((v) => `${v.name} (${v.formats.join('+')})`).join(', ')}; ` +
      `avif q${avif.quality} effort ${avif.effort}, webp q${webp.quality} effort ${webp.effort}, jpeg q${jpeg.quality}${jpeg.mozjpeg ? ' mozjpeg' : ''}, ` +
      `png level ${png.compressionLevel}, PNG ${preset.png}`,
    `Peak memory against: the ${MEMORY_ENVIRONMENT} function's configured ${memoryMb} MB (main.ts ENVIRONMENTS)`,
    `Quality: ${meter.name}${meter.fallback ? ` -- ${meter.fallback}` : ''}`,
    `Pillow: ${'python' in pillow ? `${pillow.python}` : pillow.unavailable}`,
    'Times are medians of wall-clock time; CPU is the process\' CPU time (all threads). The machine is shared: read ratios.',
  ];
}

async function resolveImages(folder: string | undefined): Promise<{ images: BenchImage[]; source: string }> {
  if (folder) {
    if (!fs.existsSync(folder)) throw new Error(`--images ${folder}: no such folder`);
    const images = await listImages(folder);
    if (images.length === 0) throw new Error(`--images ${folder}: no image files in it`);
    return { images, source: folder };
  }
  if (fs.existsSync(SHARED_IMAGES)) return { images: await listImages(SHARED_IMAGES), source: SHARED_IMAGES };
  return { images: await generatedImages(), source: `generated photo-like images (${SHARED_IMAGES} is absent)` };
}

/** The JPEG nearest 12 MP (the targets' "12 MP photo") and the JPEG with the most pixels. */
function targetPhotos(images: BenchImage[]): { twelve?: BenchImage; largest?: BenchImage } {
  const photos = images.filter((image) => image.jpeg);
  const twelve = [...photos].sort((a, b) => Math.abs(a.megapixels - 12) - Math.abs(b.megapixels - 12))[0];
  const largest = [...photos].sort((a, b) => b.megapixels - a.megapixels)[0];
  return { twelve, largest };
}

export async function benchImages(options: ImageBenchOptions): Promise<TargetResult[]> {
  fs.mkdirSync(WORK, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-images-'));
  try {
    return await run(options, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function run(options: ImageBenchOptions, work: string): Promise<TargetResult[]> {
  const { images, source } = await resolveImages(options.images);
  const memoryMb = buildSettings(MEMORY_ENVIRONMENT, ENVIRONMENTS[MEMORY_ENVIRONMENT], deploymentFromEnv({})).processor.memoryMb;
  // Fixed mode: these targets weigh the pipeline against baselines that encode at the preset's fixed settings. Target
  // mode (the default) next to fixed mode, with its measured qualities and CPU, is `--only quality` and
  // measure/preset-cost.ts (docs/benchmarks.md, "Quality target mode").
  const preset = overridePreset(DEFAULT_PRESET, { quality: { mode: 'fixed' } });
  const meter = qualityMeter(work);
  const pillow = findPillow();
  const { twelve, largest } = targetPhotos(images);
  for (const line of header(images, source, memoryMb, meter, pillow, preset)) console.log(line);

  const child = bundleChild();
  const outputDir = path.join(work, 'outputs');
  fs.mkdirSync(outputDir);
  const results: [BenchImage, ChildResult][] = [];
  for (const [index, image] of images.entries()) {
    const isTwelve = image === twelve;
    const runs = isTwelve ? options.runs : 1;
    progress(`image ${index + 1}/${images.length}: ${image.label} (${runs} run${runs > 1 ? 's' : ''})`);
    const result = runChild(child, {
      file: image.file,
      preset,
      memoryMb,
      runs,
      oneThreadRender: isTwelve,
      outputDir: isTwelve ? outputDir : undefined,
    });
    results.push([image, result]);
    let quality: Map<string, number> | undefined;
    if (isTwelve) {
      progress(`quality of ${image.label}'s outputs`);
      quality = await scoreOutputs(image, preset, memoryMb, result, outputDir, work, meter);
    }
    console.log('');
    for (const line of imageReport(image, result, memoryMb, quality)) console.log(line);
  }
  console.log('');
  console.log('All images (whole preset with the machine\'s threads; peak RSS of a process that processed only that image):');
  console.log(summaryTable(results, memoryMb));

  const targets: TargetResult[] = [];
  const twelveResult = results.find(([image]) => image === twelve)?.[1];
  targets.push(...timeTargets(twelve, twelveResult));
  targets.push(await pillowTarget(twelve, twelveResult, pillow, preset, memoryMb, outputDir, work, meter));
  targets.push(memoryTarget(largest, results.find(([image]) => image === largest)?.[1], memoryMb));
  targets.push(archiveTarget(BUILD_DIR, options.archiveRuns, work));

  console.log('');
  console.log('Image targets:');
  for (const target of targets) console.log(targetLine(target));
  return targets;
}

/** Each output of the 12 MP photo scored against the render's decode resized to that output's size. */
async function scoreOutputs(image: BenchImage, preset: VariantPreset, memoryMb: number, result: ChildResult, outputDir: string, work: string, meter: QualityMeter) {
  const input = fs.readFileSync(image.file);
  const limits = limitsForMemory(memoryMb);
  const raw = await decode(input, await inspect(input, limits), preset, limits.maxPixels);
  const scores = new Map<string, number>();
  for (const variant of preset.variants) {
    const reference = await variantReference(raw, variant, path.join(work, `reference-${variant.name}.png`));
    for (const output of result.variants.filter((v) => v.name === variant.name)) {
      const key = `${output.name}.${output.format}`;
      scores.set(key, await meter.score(reference, fs.readFileSync(path.join(outputDir, key))));
    }
  }
  return scores;
}

function timeTargets(twelve: BenchImage | undefined, result: ChildResult | undefined): TargetResult[] {
  const one = `1. default preset (fixed mode), ${twelve?.label ?? 'a ~12 MP photo'}, one thread: whole render within ${TARGETS.oneThreadOverSteps}x of its steps timed alone`;
  const two = `2. same photo, machine's threads: whole preset at most ${TARGETS.threadsOverNaive}x the naive baseline`;
  if (!twelve || !result?.renderOneThread) return [{ name: one, verdict: 'SKIP', detail: 'no JPEG photo' }, { name: two, verdict: 'SKIP', detail: 'no JPEG photo' }];
  const steps = sumOfSteps(result);
  const oneRatio = result.renderOneThread.ms / steps;
  const twoRatio = result.render.ms / result.naive.ms;
  return [
    {
      name: one,
      verdict: oneRatio <= TARGETS.oneThreadOverSteps ? 'PASS' : 'FAIL',
      detail: `render ${ms(result.renderOneThread.ms)} vs decode ${ms(result.decodeStep.ms)} + ${result.variants.length} resize+encodes + placeholder ` +
        `= ${ms(steps)} -> ${ratio(oneRatio)}`,
    },
    {
      name: two,
      verdict: twoRatio <= TARGETS.threadsOverNaive ? 'PASS' : 'FAIL',
      detail: `render at concurrency ${result.availableParallelism} ${ms(result.render.ms)} vs naive ${ms(result.naive.ms)} -> ${ratio(twoRatio)}`,
    },
  ];
}

async function pillowTarget(
  twelve: BenchImage | undefined, result: ChildResult | undefined, pillow: ReturnType<typeof findPillow>,
  preset: VariantPreset, memoryMb: number, outputDir: string, work: string, meter: QualityMeter,
): Promise<TargetResult> {
  const name = `3. whole preset at least ${TARGETS.overPillow}x faster than the seed design's three full-size Pillow conversions; ` +
    'full-size WebP no larger than Pillow\'s at equal or better quality';
  if (!twelve || !result) return { name, verdict: 'SKIP', detail: 'no JPEG photo' };
  if (!('python' in pillow)) return { name, verdict: 'SKIP', detail: pillow.unavailable };
  progress(`Pillow: the seed design's conversions of ${twelve.label} (one run)`);
  const seed = runSeedDesign(pillow.python, twelve.file, work);
  const speedup = seed.ms.total / result.render.ms;

  // The verdict compares each WebP against the original at that WebP's own size: ours (capped at the full
  // variant's size) against the original resized by sharp to it, which is exactly the render's decode; Pillow's
  // against the original at the upload's size. Each score is then the fidelity of that encode to what it stands for,
  // with no resampling of either output. Shown beside it, not judged: Pillow's WebP downscaled to our size and scored
  // against our reference, as a page displaying both at that size would show them. That one leans towards Pillow:
  // the downscale averages its coding error over the 2.5x more pixels its bytes paid for.
  const full = largestVariant(preset);
  const ours = result.variants.find((v) => v.name === full.name && v.format === 'webp');
  if (!ours) return { name, verdict: 'SKIP', detail: `the preset's largest variant (${full.name}) has no WebP` };
  progress('quality of the full-size WebPs');
  const input = fs.readFileSync(twelve.file);
  const limits = limitsForMemory(memoryMb);
  const raw = await decode(input, await inspect(input, limits), preset, limits.maxPixels);
  const reference = await variantReference(raw, full, path.join(work, 'reference-full.png'));
  const original = await writeReference(sharp(input).autoOrient(), path.join(work, 'reference-original.png'));
  const theirFile = fs.readFileSync(seed.webpFile);
  const ourScore = await meter.score(reference, fs.readFileSync(path.join(outputDir, `${full.name}.webp`)));
  const theirScore = await meter.score(original, theirFile);
  const theirsDownscaled = await sharp(theirFile).resize(ours.width, ours.height, { fit: 'fill', kernel: 'lanczos3' }).png({ compressionLevel: 1 }).toBuffer();
  const theirDisplayScore = await meter.score(reference, theirsDownscaled);
  const smaller = ours.bytes <= seed.bytes.webp;
  const asGood = isAtLeastAsGood(meter, ourScore, theirScore);

  console.log('');
  console.log(`Seed design on ${twelve.label} (Pillow ${seed.pillowVersion}, ${seed.python}, timed inside Python, one run):`);
  console.log(table(['step', 'time', 'bytes'], [
    ['decode', ms(seed.ms.decode), ''],
    ['WebP q85 method 6, full size', ms(seed.ms.webp), kb(seed.bytes.webp)],
    ['JPEG q85 optimize, full size', ms(seed.ms.jpeg), kb(seed.bytes.jpeg)],
    ['PNG optimize, full size', ms(seed.ms.png), kb(seed.bytes.png)],
    ['total', ms(seed.ms.total), kb(seed.bytes.webp + seed.bytes.jpeg + seed.bytes.png)],
    [`our whole preset (${result.variants.length} outputs, machine's threads)`, ms(result.render.ms), kb(result.variants.reduce((s, v) => s + v.bytes, 0))],
  ]));
  console.log(`Full-size WebP, scored by ${meter.name}. "own size": against the original at the WebP's own size (ours: resized by ` +
    `sharp, lanczos3, to ${ours.width}x${ours.height}; Pillow's: the original as decoded) -- the verdict. "at ${ours.width}x${ours.height}": ` +
    'Pillow\'s WebP downscaled the same way and scored against our reference, as a page shows both at that size (leans towards Pillow; not judged).');
  console.log(table(['WebP', 'size', 'bytes', 'bits/px', 'quality, own size', `quality at ${ours.width}x${ours.height}`], [
    [`ours (q${preset.encoders.webp.quality} effort ${preset.encoders.webp.effort})`, `${ours.width}x${ours.height}`, kb(ours.bytes),
      ((ours.bytes * 8) / (ours.width * ours.height)).toFixed(3), formatScore(ourScore), formatScore(ourScore)],
    ['Pillow (q85 method 6)', `${result.upload.width}x${result.upload.height}`, kb(seed.bytes.webp),
      ((seed.bytes.webp * 8) / (result.upload.width * result.upload.height)).toFixed(3), formatScore(theirScore), formatScore(theirDisplayScore)],
  ]));
  return {
    name,
    verdict: speedup >= TARGETS.overPillow && smaller && asGood ? 'PASS' : 'FAIL',
    detail: `Pillow ${ms(seed.ms.total)} vs our ${ms(result.render.ms)} -> ${speedup.toFixed(1)}x faster; ` +
      `WebP ${kb(ours.bytes)} vs Pillow's ${kb(seed.bytes.webp)} (${smaller ? 'no larger' : 'LARGER'}); ` +
      `quality at own size ${formatScore(ourScore)} vs ${formatScore(theirScore)} (${asGood ? 'equal or better' : 'WORSE'}, ` +
      `${meter.lowerIsBetter ? 'lower' : 'higher'} is better; Pillow's downscaled to ours: ${formatScore(theirDisplayScore)})`,
  };
}

function memoryTarget(largest: BenchImage | undefined, result: ChildResult | undefined, memoryMb: number): TargetResult {
  const limit = memoryMb * MEMORY_SHARE;
  const name = `4. peak memory for the largest photo${largest ? ` (${largest.label}, ${largest.megapixels.toFixed(1)} MP)` : ''} ` +
    `under ${pct(MEMORY_SHARE)} of the ${MEMORY_ENVIRONMENT} function's ${memoryMb} MB (${limit.toFixed(0)} MB)`;
  if (!largest || !result) return { name, verdict: 'SKIP', detail: 'no JPEG photo' };
  const peakMb = result.peakRssBytes / 1024 / 1024;
  return {
    name,
    verdict: peakMb < limit ? 'PASS' : 'FAIL',
    detail: `peak RSS ${peakMb.toFixed(0)} MB = ${pct(peakMb / memoryMb)} (render at concurrency ${result.handlerConcurrency}, ${mb(result.baseRssBytes)} of it before the upload)`,
  };
}

/** `--only grid`: the encoder-settings grid on up to five photos. */
export async function benchGrid(options: Pick<ImageBenchOptions, 'images'>): Promise<void> {
  fs.mkdirSync(WORK, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-grid-'));
  try {
    const { images, source } = await resolveImages(options.images);
    const photos: GridPhoto[] = images.filter((image) => image.jpeg).slice(0, 5).map((image) => ({ label: image.label, file: image.file }));
    const meter = qualityMeter(work);
    const pillow = findPillow();
    console.log(`\nEncoder grid on photos from ${source}${meter.fallback ? ` (${meter.fallback})` : ''}`);
    const full = largestVariant(DEFAULT_PRESET);
    for (const line of await benchEncoderGrid(photos, { workDir: work, meter, current: DEFAULT_PRESET.encoders, full, pillow })) console.log(line);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
