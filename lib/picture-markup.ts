/**
 * The responsive HTML for one processed image: what a page pastes to show it. `imgopt html` prints it and the local
 * console shows it, both from here, so the markup a person copies is the same wherever they get it.
 *
 * Two forms:
 * - `picture` (default): one `<source type srcset sizes>` per modern format and an `<img>` in the fallback format
 *   (JPEG, or PNG where the pipeline kept transparency), every URL explicit, so the browser picks the format itself.
 * - `img`: one `<img srcset sizes>` with the negotiated URLs (`/images/<id>/<variant>`), where the CDN picks the
 *   format from the Accept header.
 * Both carry `width` and `height` (no layout shift) and the blur placeholder as the image's background.
 */
import { OUTPUT_FORMAT_INFO, OutputFormat, isOutputFormat } from './formats';
import { explicitPath, negotiatedPath } from './keys';
import type { ImageRecord } from './metadata';
import { NEGOTIATION_PREFERENCE } from './variants';

export type MarkupForm = 'picture' | 'img';

export interface MarkupOptions {
  /** @default 'picture' */
  readonly form?: MarkupForm;
  /** The image's text alternative. @default '' (decorative: replace it with what the image shows) */
  readonly alt?: string;
}

/** One size of the image, in every format it was made in. */
export interface ResponsiveWidth {
  readonly variant: string;
  readonly width: number;
  readonly height: number;
  readonly formats: readonly OutputFormat[];
}

/** What `&`, `<`, `>`, `"` and `'` must become inside HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * The variants that are smaller copies of the whole image, narrowest first, one per width. A variant whose aspect
 * ratio differs from the original's by more than 2% was cropped (the square thumbnail) and is not a candidate for
 * `srcset`: rounding a 320 px wide copy changes its ratio by well under 1%.
 */
export function responsiveWidths(record: ImageRecord): ResponsiveWidth[] {
  const original = record.original;
  const byName = new Map<string, { width: number; height: number; formats: OutputFormat[] }>();
  for (const variant of record.variants ?? []) {
    if (!isOutputFormat(variant.format)) continue;
    const entry = byName.get(variant.name) ?? { width: variant.width, height: variant.height, formats: [] };
    entry.formats.push(variant.format);
    byName.set(variant.name, entry);
  }
  const ratio = original ? original.width / original.height : undefined;
  const widths = new Map<number, ResponsiveWidth>();
  for (const [variant, entry] of byName) {
    if (ratio !== undefined && Math.abs(entry.width / entry.height / ratio - 1) > 0.02) continue;
    // Sources are never upscaled: a small upload's 1280, 1920 and full variants can all be the same width.
    if (!widths.has(entry.width)) widths.set(entry.width, { variant, ...entry });
  }
  return [...widths.values()].sort((a, b) => a.width - b.width);
}

/** Why no markup can be made for this record, or undefined when it can. */
export function markupProblem(record: ImageRecord): string | undefined {
  if (record.status !== 'COMPLETED') return `image ${record.image_id} is ${record.status}, not COMPLETED: it has no renditions to show`;
  if (responsiveWidths(record).length === 0) return `image ${record.image_id} has no rendition of the whole image`;
  return undefined;
}

/**
 * The markup for a COMPLETED image, with URLs under `cdnUrl` (the CDN's base URL or the local edge's, without a
 * trailing slash). Throws when `markupProblem` has an objection.
 *
 * @example pictureMarkup('https://d1234.cloudfront.net', record, { alt: 'Harbour at dusk' })
 */
export function pictureMarkup(cdnUrl: string, record: ImageRecord, options: MarkupOptions = {}): string {
  const problem = markupProblem(record);
  if (problem) throw new Error(problem);
  const widths = responsiveWidths(record);
  const largest = widths[widths.length - 1];
  // The default URL for browsers without srcset: the widest copy up to 1280 px, a usual content column's 2x.
  const fallbackWidth = [...widths].reverse().find((entry) => entry.width <= 1280) ?? widths[0];
  const sizes = `(max-width: ${largest.width}px) 100vw, ${largest.width}px`;
  const style = [
    'max-width:100%',
    'height:auto',
    ...(record.placeholder ? [`background:url(${record.placeholder}) center/cover no-repeat`] : []),
  ].join(';');
  const imgAttributes = (src: string, srcset: string) => attributes([
    ['src', src],
    ['srcset', srcset],
    ['sizes', sizes],
    ['width', String(largest.width)],
    ['height', String(largest.height)],
    ['alt', options.alt ?? ''],
    ['loading', 'lazy'],
    ['decoding', 'async'],
    ['style', style],
  ]);
  const url = (format: OutputFormat, variant: string) => `${cdnUrl}${explicitPath(format, record.image_id, variant)}`;
  const srcset = (format: OutputFormat) => widths
    .filter((entry) => entry.formats.includes(format))
    .map((entry) => `${url(format, entry.variant)} ${entry.width}w`)
    .join(', ');

  if (options.form === 'img') {
    const negotiated = (variant: string) => `${cdnUrl}${negotiatedPath(record.image_id, variant)}`;
    const set = widths.map((entry) => `${negotiated(entry.variant)} ${entry.width}w`).join(', ');
    return `<img ${imgAttributes(negotiated(fallbackWidth.variant), set)}>\n`;
  }

  // PNG is only made where the image has transparency or was lossless: then JPEG (flattened) is not a faithful fallback.
  const made = new Set(widths.flatMap((entry) => entry.formats));
  const fallback: OutputFormat = made.has('png') ? 'png' : 'jpeg';
  const fallbackEntry = [...widths].reverse().find((entry) => entry.width <= fallbackWidth.width && entry.formats.includes(fallback))
    ?? widths.find((entry) => entry.formats.includes(fallback));
  if (!fallbackEntry) throw new Error(`image ${record.image_id} has no ${fallback} rendition for the <img> fallback`);
  const sources = NEGOTIATION_PREFERENCE
    .filter((format) => format !== fallback && format !== 'png' && format !== 'jpeg' && made.has(format))
    .map((format) => `  <source ${attributes([['type', OUTPUT_FORMAT_INFO[format].contentType], ['srcset', srcset(format)], ['sizes', sizes]])}>`);
  return [
    '<picture>',
    ...sources,
    `  <img ${imgAttributes(url(fallback, fallbackEntry.variant), srcset(fallback))}>`,
    '</picture>',
    '',
  ].join('\n');
}

function attributes(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${name}="${escapeHtml(value)}"`).join(' ');
}
