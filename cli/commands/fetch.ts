/**
 * `imgopt fetch <image_id>`: downloads one variant through the CDN (or the local edge), by its negotiated URL
 * (the edge picks the format from Accept) or, with --format, its explicit URL, and says what came back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OUTPUT_FORMATS, OUTPUT_FORMAT_INFO, isOutputFormat } from '../../lib/formats';
import { expected } from '../../lib/problems';
import type { ParsedCommand } from '../args';
import { EXIT, UsageError, UserError } from '../errors';
import { formatBytes } from '../format';
import { VariantUrls, checkImageId, getImage, missingImage, variantUrls } from '../images';
import type { Target } from '../target';

/** What a current browser sends for an <img>: the edge answers it with AVIF where the variant has AVIF. */
export const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

export async function fetchImage(command: ParsedCommand, connect: () => Target): Promise<number> {
  const imageId = checkImageId(command.positionals[0]);
  const format = command.options.format as string | undefined;
  if (format !== undefined && !isOutputFormat(format)) {
    throw new UsageError(expected('--format', `one of ${OUTPUT_FORMATS.join(', ')}`, format));
  }
  const target = connect();
  const record = await getImage(target, imageId);
  if (!record) throw missingImage(target, imageId);
  if (record.status !== 'COMPLETED') {
    const why = record.error ? `: ${record.error.code}: ${record.error.message}` : '';
    throw new UserError(`image ${imageId} is ${record.status}${why}, so it has no variants to fetch`);
  }

  const variants = variantUrls(target.cdnUrl, record);
  const requested = command.options.variant as string | undefined;
  // By default the largest; among equals (a small source is never upscaled) the last in the preset, usually full.
  const variant = requested === undefined
    ? variants.reduce<VariantUrls | undefined>((best, v) => (!best || v.width * v.height >= best.width * best.height ? v : best), undefined)
    : variants.find((candidate) => candidate.name === requested);
  if (!variant) {
    throw new UserError(`image ${imageId} has no variant ${JSON.stringify(requested)} (it has ${variants.map((v) => v.name).join(', ')})`);
  }

  let url = variant.negotiatedUrl;
  if (format !== undefined) {
    const explicit = variant.formats.find((candidate) => candidate.format === format);
    if (!explicit) {
      throw new UserError(`variant ${variant.name} of image ${imageId} has no ${format} (it has ${variant.formats.map((f) => f.format).join(', ')})`);
    }
    url = explicit.url;
  }
  const accept = (command.options.accept as string | undefined) ?? BROWSER_ACCEPT;

  let response: Response;
  try {
    response = await fetch(url, { headers: { accept } });
  } catch (error) {
    throw new UserError(`cannot reach the CDN at ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  if (response.status !== 200) {
    throw new UserError(`the CDN answered ${response.status} ${response.statusText} for ${url}`);
  }
  const body = Buffer.from(await response.arrayBuffer());
  const contentType = response.headers.get('content-type') ?? '';
  const servedFormat = OUTPUT_FORMATS.find((candidate) => OUTPUT_FORMAT_INFO[candidate].contentType === contentType);

  let output = command.options.output as string | undefined;
  if (output === undefined && (process.stdout.isTTY || command.global.json)) {
    output = `${imageId}-${variant.name}.${servedFormat ? OUTPUT_FORMAT_INFO[servedFormat].extension : 'bin'}`;
  }
  if (output !== undefined && output !== '-') {
    try {
      fs.writeFileSync(output, body);
    } catch (error) {
      throw new UserError(`cannot write ${output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  const cacheControl = response.headers.get('cache-control');
  const summary = {
    image_id: imageId,
    variant: variant.name,
    url,
    accept: format === undefined ? accept : undefined,
    status: response.status,
    content_type: contentType,
    format: servedFormat ?? null,
    cache_control: cacheControl,
    bytes: body.length,
    file: output === undefined || output === '-' ? null : path.resolve(output),
  };
  if (command.global.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    process.stderr.write(`GET ${url}${format === undefined ? `  (Accept: ${accept})` : ''}\n`);
    process.stderr.write(`  ${response.status} ${contentType}, ${formatBytes(body.length)}, Cache-Control: ${cacheControl ?? '(none)'}\n`);
    if (summary.file) process.stderr.write(`  saved to ${output}\n`);
  }
  if (output === undefined || output === '-') process.stdout.write(body);
  return EXIT.ok;
}
