/**
 * One image of the image benchmark, in a process of its own (so its peak memory is its own): bundled by
 * bench-images.ts and run as `node image-child.js <request.json>`; writes its measurements to the request's
 * `resultFile`.
 *
 * 1. Like a processor container: sharp and the SDK clients loaded, the upload inspected and rendered with the
 *    handler's concurrency. The process' peak RSS is read right after this first render, before anything else runs.
 * 2. Then, `runs` times, interleaved so that the machine's noise falls on all of them alike:
 *    - the whole render with the machine's threads (render concurrency = os.availableParallelism(), sharp's default);
 *    - the naive baseline with the same threads: per variant and format, `sharp(upload).rotate().resize().format()`,
 *      one after another (a decode per output);
 *    - with sharp on one thread: the whole render at concurrency 1 (when asked), and each of its steps alone (the
 *      decode, every variant's resize+encode from the decoded pixels, the placeholder), one after another.
 */
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { OutputFormat } from '../lib/formats';
import { VariantPreset } from '../lib/variants';
import { Inspection, inspect } from '../functions/processor/inspect';
import { limitsForMemory } from '../functions/processor/limits';
import { decode, encode, formatsFor, placeholderFor, render, variantSize } from '../functions/processor/transform';

export interface ChildRequest {
  readonly file: string;
  readonly preset: VariantPreset;
  /** The function memory the input limits are sized for. */
  readonly memoryMb: number;
  readonly runs: number;
  /** Also time the whole render with sharp and the render both on one thread. */
  readonly oneThreadRender: boolean;
  /** Where the first render's outputs are written (`<name>.<format>`), for the quality comparison. */
  readonly outputDir?: string;
  readonly resultFile: string;
}

export interface Timing {
  /** Median wall-clock time. */
  readonly ms: number;
  /** Median CPU time of the whole process (every thread). */
  readonly cpuMs: number;
}

export interface VariantResult {
  readonly name: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Its resize+encode from the decoded pixels, alone, sharp on one thread. */
  readonly step: Timing;
}

export interface ChildResult {
  readonly node: string;
  readonly sharpDefaultThreads: number;
  readonly availableParallelism: number;
  readonly handlerConcurrency: number;
  readonly upload: { readonly bytes: number; readonly format: string; readonly width: number; readonly height: number; readonly alpha: boolean };
  /** Size of the single decode. */
  readonly decoded: { readonly width: number; readonly height: number };
  /** RSS once sharp and the SDK clients are loaded, before the upload is read. */
  readonly baseRssBytes: number;
  /** Peak RSS of the process up to the end of the first render. */
  readonly peakRssBytes: number;
  /** The first render (cold process, the handler's concurrency). */
  readonly coldRenderMs: number;
  readonly render: Timing;
  readonly renderOneThread?: Timing;
  readonly naive: Timing;
  readonly decodeStep: Timing;
  readonly placeholderStep: Timing;
  readonly variants: VariantResult[];
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await run();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

/** A timing without the value, so that the runs' outputs are not kept. */
async function sample(run: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const { ms, cpuMs } = await timed(run);
  return { ms, cpuMs };
}

function medianOf(samples: { ms: number; cpuMs: number }[]): Timing {
  const mid = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const m = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  };
  return { ms: mid(samples.map((s) => s.ms)), cpuMs: mid(samples.map((s) => s.cpuMs)) };
}

/** The naive baseline: every output decoded from the upload again, one output after another. */
async function naive(input: Buffer, inspection: Inspection, preset: VariantPreset): Promise<void> {
  const { avif, webp, jpeg, png } = preset.encoders;
  for (const variant of preset.variants) {
    const size = variantSize(variant, inspection.width, inspection.height);
    for (const format of formatsFor(variant, preset, inspection)) {
      const pipeline = sharp(input, { failOn: 'error', pages: 1 })
        .rotate()
        .resize(size.width, size.height, { fit: variant.fit === 'cover' ? 'cover' : 'fill', position: 'attention' });
      switch (format) {
        case 'avif': await pipeline.avif({ quality: avif.quality, effort: avif.effort }).toBuffer(); break;
        case 'webp': await pipeline.webp({ quality: webp.quality, effort: webp.effort }).toBuffer(); break;
        case 'jpeg': await pipeline.flatten({ background: preset.background }).jpeg({ quality: jpeg.quality, mozjpeg: jpeg.mozjpeg }).toBuffer(); break;
        case 'png': await pipeline.png({ compressionLevel: png.compressionLevel, adaptiveFiltering: true }).toBuffer(); break;
      }
    }
  }
}

async function main(request: ChildRequest): Promise<ChildResult> {
  // What a processor container holds besides the image: sharp (cache off, as the handler sets it) and the SDK clients.
  sharp.cache(false);
  const clients = [new S3Client({ region: 'us-east-1' }), new DynamoDBClient({ region: 'us-east-1' })];
  const sharpDefaultThreads = sharp.concurrency();
  const handlerConcurrency = Math.max(1, Math.min(4, availableParallelism()));
  const baseRssBytes = process.memoryUsage().rss;

  const { preset } = request;
  const limits = limitsForMemory(request.memoryMb);
  const input = fs.readFileSync(request.file);
  const inspection = await inspect(input, limits);
  const cold = await timed(() => render(input, inspection, preset, limits.maxPixels, { concurrency: handlerConcurrency }));
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  if (request.outputDir) {
    for (const variant of cold.value.variants) fs.writeFileSync(path.join(request.outputDir, `${variant.name}.${variant.format}`), variant.data);
  }

  const jobs = preset.variants.flatMap((variant) => formatsFor(variant, preset, inspection).map((format) => ({ variant, format })));
  const samples = {
    render: [] as { ms: number; cpuMs: number }[],
    renderOneThread: [] as { ms: number; cpuMs: number }[],
    naive: [] as { ms: number; cpuMs: number }[],
    decode: [] as { ms: number; cpuMs: number }[],
    placeholder: [] as { ms: number; cpuMs: number }[],
    steps: jobs.map(() => [] as { ms: number; cpuMs: number }[]),
  };
  let decoded = { width: 0, height: 0 };
  for (let run = 0; run < request.runs; run += 1) {
    sharp.concurrency(sharpDefaultThreads);
    samples.render.push(await sample(() => render(input, inspection, preset, limits.maxPixels, { concurrency: availableParallelism() })));
    samples.naive.push(await sample(() => naive(input, inspection, preset)));

    sharp.concurrency(1);
    if (request.oneThreadRender) {
      samples.renderOneThread.push(await sample(() => render(input, inspection, preset, limits.maxPixels, { concurrency: 1 })));
    }
    const raw = await timed(() => decode(input, inspection, preset, limits.maxPixels));
    samples.decode.push({ ms: raw.ms, cpuMs: raw.cpuMs });
    decoded = { width: raw.value.width, height: raw.value.height };
    for (const [index, job] of jobs.entries()) samples.steps[index].push(await sample(() => encode(raw.value, job.variant, job.format, preset)));
    samples.placeholder.push(await sample(() => placeholderFor(raw.value)));
  }
  sharp.concurrency(sharpDefaultThreads);
  for (const client of clients) client.destroy();

  return {
    node: process.version,
    sharpDefaultThreads,
    availableParallelism: availableParallelism(),
    handlerConcurrency,
    upload: { bytes: input.length, format: inspection.format, width: inspection.width, height: inspection.height, alpha: inspection.alpha },
    decoded,
    baseRssBytes,
    peakRssBytes,
    coldRenderMs: cold.ms,
    render: medianOf(samples.render),
    renderOneThread: request.oneThreadRender ? medianOf(samples.renderOneThread) : undefined,
    naive: medianOf(samples.naive),
    decodeStep: medianOf(samples.decode),
    placeholderStep: medianOf(samples.placeholder),
    variants: cold.value.variants.map((variant, index) => ({
      name: variant.name,
      format: variant.format,
      width: variant.width,
      height: variant.height,
      bytes: variant.data.length,
      step: medianOf(samples.steps[index]),
    })),
  };
}

const requestFile = process.argv[2];
if (requestFile) {
  const request = JSON.parse(fs.readFileSync(requestFile, 'utf8')) as ChildRequest;
  main(request).then(
    (result) => fs.writeFileSync(request.resultFile, JSON.stringify(result)),
    (error: Error) => {
      process.stderr.write(`${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
