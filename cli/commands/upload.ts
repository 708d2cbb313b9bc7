/**
 * `imgopt upload <files or folders...>`: puts each image in the upload bucket, derives its image id from what S3
 * answered (version id, else ETag) exactly as the processor does, waits until the metadata item says COMPLETED or
 * FAILED (locally, also watching the failure queue), and prints every variant's URLs and the bytes saved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageRecord } from '../../lib/metadata';
import { findFailureMessage } from '../../local/failure-queue';
import { ParsedCommand, integerOption } from '../args';
import { EXIT, UserError } from '../errors';
import { formatBytes, formatMs, formatSaved } from '../format';
import { animationText, getImage, variantLines, variantUrls } from '../images';
import { UPLOAD_EXTENSIONS_TEXT, putUpload, uploadContentType } from '../put-upload';
import type { Target } from '../target';

interface ImageFile {
  readonly file: string;
  readonly key: string;
  readonly bytes: number;
  readonly contentType: string;
}

/** How waiting for one upload ended. */
type Outcome = 'COMPLETED' | 'FAILED' | 'FAILURE_QUEUE' | 'TIMED_OUT' | 'NOT_WAITED';

interface UploadResult {
  readonly image: ImageFile;
  readonly imageId: string;
  readonly outcome: Outcome;
  readonly record?: ImageRecord;
  /** Why it did not complete: the reason code and message, or the function's error. */
  readonly reason?: string;
  readonly message?: string;
}

const PARALLEL_UPLOADS = 4;

export async function upload(command: ParsedCommand, connect: () => Target): Promise<number> {
  const timeoutSeconds = integerOption(command.options, 'timeout', 120, 1, 3600);
  const wait = command.options['no-wait'] !== true;
  const images = collectImages(command.positionals, (command.options.prefix as string | undefined) ?? '');
  const target = connect();
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const total = images.reduce((sum, image) => sum + image.bytes, 0);
  progress(`Uploading ${images.length} image${images.length === 1 ? '' : 's'} (${formatBytes(total)}) to ${target.uploadBucket} (${target.label})`);
  const started = Date.now();
  const uploaded = await mapLimit(images, PARALLEL_UPLOADS, async (image, index) => {
    const imageId = await putUpload(target, image.key, fs.readFileSync(image.file), image.contentType);
    progress(`  [${index + 1}/${images.length}] ${image.key}  ${formatBytes(image.bytes)}  image ${imageId}`);
    return { image, imageId };
  });

  let results: UploadResult[];
  if (!wait) {
    results = uploaded.map((entry) => ({ ...entry, outcome: 'NOT_WAITED' as const }));
  } else {
    progress(`Waiting for processing (up to ${timeoutSeconds} s)...`);
    const deadline = Date.now() + timeoutSeconds * 1000;
    results = await Promise.all(uploaded.map(async (entry) => {
      const result = await waitForImage(target, entry.image, entry.imageId, started, deadline);
      progress(`  ${symbol(result.outcome)} ${entry.image.key}  ${outcomeText(result)}`);
      return result;
    }));
  }

  if (command.global.json) {
    process.stdout.write(`${JSON.stringify(results.map((result) => resultJson(target, result)), null, 2)}\n`);
  } else {
    process.stdout.write(results.map((result) => resultText(target, result)).join('\n'));
    process.stdout.write(`\n${totals(results)}\n`);
  }
  return results.every((result) => result.outcome === 'COMPLETED' || result.outcome === 'NOT_WAITED') ? EXIT.ok : EXIT.incomplete;
}

/** The images named on the command line: files as given, folders read recursively; keys with `/` separators. */
export function collectImages(paths: readonly string[], prefix: string): ImageFile[] {
  const keyPrefix = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  const images: ImageFile[] = [];
  const skipped: string[] = [];
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch {
      throw new UserError(`no such file or folder: ${given}`);
    }
    if (stat.isDirectory()) {
      const root = path.resolve(given);
      const base = path.basename(root);
      for (const file of walk(root)) {
        const image = imageFile(file, `${keyPrefix}${base}/${path.relative(root, file).split(path.sep).join('/')}`);
        if (image) images.push(image);
        else skipped.push(path.relative(process.cwd(), file) || file);
      }
    } else {
      const image = imageFile(path.resolve(given), `${keyPrefix}${path.basename(given)}`);
      if (!image) throw new UserError(`${given} is not an image (expected ${UPLOAD_EXTENSIONS_TEXT}, in any letter case)`);
      images.push(image);
    }
  }
  for (const file of skipped) process.stderr.write(`imgopt: skipping ${file} (not an image)\n`);
  if (images.length === 0) throw new UserError(`no images to upload in ${paths.join(', ')} (expected ${UPLOAD_EXTENSIONS_TEXT})`);
  const seen = new Map<string, string>();
  for (const image of images) {
    const other = seen.get(image.key);
    if (other) throw new UserError(`${other} and ${image.file} would both be uploaded as ${image.key}: upload them separately or with --prefix`);
    seen.set(image.key, image.file);
  }
  return images;
}

function imageFile(file: string, key: string): ImageFile | undefined {
  const contentType = uploadContentType(file);
  return contentType ? { file, key, bytes: fs.statSync(file).size, contentType } : undefined;
}

/** Files under a folder, sorted; hidden files and folders (.git, .DS_Store) are not images anyone meant to upload. */
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return entry.isFile() ? [full] : [];
    });
}

async function waitForImage(target: Target, image: ImageFile, imageId: string, since: number, deadline: number): Promise<UploadResult> {
  for (;;) {
    const record = await getImage(target, imageId);
    if (record?.status === 'COMPLETED') return { image, imageId, outcome: 'COMPLETED', record };
    if (record?.status === 'FAILED') {
      return { image, imageId, outcome: 'FAILED', record, reason: record.error?.code, message: record.error?.message };
    }
    if (target.kind === 'local') {
      // Lambda gave up on the event (a bug or an outage, not bad input): it waits on the failure queue for a replay.
      const message = findFailureMessage(target.failureQueueDir, imageId, since - 1000);
      if (message) {
        return {
          image,
          imageId,
          outcome: 'FAILURE_QUEUE',
          record,
          reason: message.responsePayload.errorType,
          message: message.responsePayload.errorMessage,
        };
      }
    }
    if (Date.now() >= deadline) {
      return {
        image,
        imageId,
        outcome: 'TIMED_OUT',
        record,
        message: record ? `still ${record.status}` : 'no metadata item yet',
      };
    }
    await new Promise((resolve) => setTimeout(resolve, target.pollIntervalMs));
  }
}

function symbol(outcome: Outcome): string {
  return outcome === 'COMPLETED' ? '✓' : outcome === 'TIMED_OUT' || outcome === 'NOT_WAITED' ? '…' : '✗';
}

function outcomeText(result: UploadResult): string {
  switch (result.outcome) {
    case 'COMPLETED':
      return `COMPLETED in ${formatMs(result.record?.processing_ms)}`;
    case 'FAILED':
      return `FAILED: ${result.reason ?? 'no reason'}: ${result.message ?? ''}`;
    case 'FAILURE_QUEUE':
      return `ON THE FAILURE QUEUE: ${result.reason ?? 'Error'}: ${result.message} (re-drive with: imgopt replay)`;
    case 'TIMED_OUT':
      return `NOT FINISHED in time (${result.message}): check later with imgopt status ${result.imageId}`;
    case 'NOT_WAITED':
      return 'uploaded';
  }
}

function resultText(target: Target, result: UploadResult): string {
  const { image, record } = result;
  const lines = [`${symbol(result.outcome)} ${image.key}  image ${result.imageId}  ${outcomeText(result)}`];
  if (result.outcome === 'COMPLETED' && record) {
    const source = record.source?.bytes ?? image.bytes;
    lines.push(`    ${formatBytes(source)} uploaded, ${formatSaved(record.bytes_saved, source)}`);
    const animation = record.original && animationText(record.original);
    if (animation) lines.push(`    ${animation}`);
    lines.push(...variantLines(variantUrls(target.cdnUrl, record), '    '));
  }
  return lines.join('\n');
}

function resultJson(target: Target, result: UploadResult): Record<string, unknown> {
  const { record } = result;
  const variants = record && result.outcome === 'COMPLETED' ? variantUrls(target.cdnUrl, record) : [];
  return {
    file: result.image.file,
    bucket: target.uploadBucket,
    key: result.image.key,
    image_id: result.imageId,
    status: result.outcome,
    ...(result.reason !== undefined || result.message !== undefined ? { reason: result.reason ?? null, message: result.message ?? null } : {}),
    processing_ms: record?.processing_ms ?? null,
    source_bytes: record?.source?.bytes ?? result.image.bytes,
    bytes_saved: record?.bytes_saved ?? null,
    original: record?.original ?? null,
    negotiated_urls: Object.fromEntries(variants.map((variant) => [variant.name, variant.negotiatedUrl])),
    variants: variants.flatMap((variant) => variant.formats.map((format) => ({
      name: variant.name,
      format: format.format,
      width: variant.width,
      height: variant.height,
      bytes: format.bytes,
      url: format.url,
      negotiated_url: variant.negotiatedUrl,
      ...(format.animated ? { animated: true, frames: variant.frames } : {}),
      ...(format.quality !== undefined ? { quality: format.quality } : {}),
      ...(format.score !== undefined ? { score: format.score, score_source: format.score_source } : {}),
    }))),
  };
}

function totals(results: readonly UploadResult[]): string {
  const count = (outcome: Outcome) => results.filter((result) => result.outcome === outcome).length;
  const parts = [
    ['completed', count('COMPLETED')],
    ['failed', count('FAILED')],
    ['on the failure queue', count('FAILURE_QUEUE')],
    ['not finished', count('TIMED_OUT')],
    ['uploaded without waiting', count('NOT_WAITED')],
  ].filter(([, n]) => n).map(([what, n]) => `${n} ${what}`);
  const uploadedBytes = results.reduce((sum, result) => sum + result.image.bytes, 0);
  const completed = results.filter((result) => result.outcome === 'COMPLETED');
  const saved = completed.reduce((sum, result) => sum + (result.record?.bytes_saved ?? 0), 0);
  const completedBytes = completed.reduce((sum, result) => sum + (result.record?.source?.bytes ?? result.image.bytes), 0);
  const savings = completed.length > 0 ? `; ${formatSaved(saved, completedBytes)} on the completed ones` : '';
  return `${results.length} image${results.length === 1 ? '' : 's'}: ${parts.join(', ')}; ${formatBytes(uploadedBytes)} uploaded${savings}`;
}

/** `work` on every item with at most `limit` running at once, results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}
