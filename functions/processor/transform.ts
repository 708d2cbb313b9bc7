/**
 * The sharp pipeline: decode once, then encode every variant of the preset from that one decoded image.
 *
 * The upload is decoded a single time, upright (EXIF orientation applied), converted to 8-bit sRGB (CMYK, 16-bit and
 * embedded profiles included), already shrunk to the largest size any variant needs (so JPEG and WebP get libjpeg's
 * and libwebp's cheap shrink-on-load). Every variant is resized and encoded from those raw pixels, several at once
 * (encodes are single-threaded, so parallelism comes from running pipelines side by side). The steps are exported
 * so that `npm run bench` can time each one alone, exactly as `render` runs it. Nothing of the upload's
 * metadata reaches an output: the outputs are made from raw pixels, so no EXIF, GPS, XMP or ICC block can follow.
 * Alpha is kept in AVIF, WebP and PNG; JPEG is flattened onto the preset's background. Nothing is upscaled. An
 * animated upload is rendered by animation.ts (animated WebP renditions, first-frame posters made with these steps).
 */
import sharp from 'sharp';
import { OutputFormat } from '../../lib/formats';
import { VariantPreset, VariantSpec } from '../../lib/variants';
import { animationOf, renderAnimated } from './animation';
import { Inspection, decodeFailure } from './inspect';

export interface RenderedVariant {
  readonly format: OutputFormat;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
  /** Frames of an animated rendition; absent on stills. */
  readonly frames?: number;
}

export interface Rendition {
  readonly variants: RenderedVariant[];
  /** A ~16 px wide blurred WebP as a data URI. */
  readonly placeholder: string;
}

export interface RenderOptions {
  /** Variant pipelines run at once. @default 2 */
  readonly concurrency?: number;
}

/** The single decode's pixels: upright, 8-bit sRGB. */
export interface Raw {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/** The formats made for a variant of this upload: the preset's, plus PNG where the policy asks for it. */
export function formatsFor(variant: VariantSpec, preset: VariantPreset, inspection: Pick<Inspection, 'alpha' | 'lossless'>): OutputFormat[] {
  const formats = [...variant.formats];
  const wantsPng = preset.png === 'always' || (preset.png === 'alpha-or-lossless' && (inspection.alpha || inspection.lossless));
  if (wantsPng && !formats.includes('png')) formats.push('png');
  return formats;
}

/** Output size of a variant for a source of `width` x `height`, never larger than the source. */
export function variantSize(variant: VariantSpec, width: number, height: number): { width: number; height: number } {
  if (variant.fit === 'cover') {
    // The box's shape is kept: a source smaller than the box gets the largest box of that shape it can fill.
    const h = variant.height ?? variant.width;
    const fit = Math.min(1, width / variant.width, height / h);
    return { width: Math.max(1, Math.round(variant.width * fit)), height: Math.max(1, Math.round(h * fit)) };
  }
  const scale = Math.min(1, variant.width / width, variant.height ? variant.height / height : Infinity);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The scale of the single decode: the largest any variant needs, never above 1. */
export function decodeScale(preset: VariantPreset, width: number, height: number): number {
  let scale = 0;
  for (const variant of preset.variants) {
    const needed = variant.fit === 'cover'
      ? Math.max(variant.width / width, (variant.height ?? variant.width) / height)
      : Math.min(variant.width / width, variant.height ? variant.height / height : Infinity);
    scale = Math.max(scale, needed);
  }
  return Math.min(1, scale);
}

/** The single decode, at the largest size any variant of the preset needs. */
export async function decode(input: Uint8Array, inspection: Inspection, preset: VariantPreset, maxPixels: number): Promise<Raw> {
  const scale = decodeScale(preset, inspection.width, inspection.height);
  const width = Math.max(1, Math.round(inspection.width * scale));
  const height = Math.max(1, Math.round(inspection.height * scale));
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .autoOrient()
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw decodeFailure(error, inspection.format);
  }
}

/** One format of one variant, resized and encoded from the decode. */
export async function encode(raw: Raw, variant: VariantSpec, format: OutputFormat, preset: VariantPreset): Promise<RenderedVariant> {
  const size = variantSize(variant, raw.width, raw.height);
  const resize = (source: Raw) => sharp(source.data, { raw: { width: source.width, height: source.height, channels: source.channels } })
    .resize(size.width, size.height, { fit: variant.fit === 'cover' ? 'cover' : 'fill', position: 'attention' });
  let pipeline = resize(raw);
  if (format === 'jpeg' && (raw.channels === 2 || raw.channels === 4) && variant.fit === 'cover') {
    // sharp flattens before it crops: crop the transparent pixels first, so the JPEG thumbnail shows the same part
    // of the image as the AVIF and WebP ones, then flatten.
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    pipeline = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  const { avif, webp, jpeg, png } = preset.encoders;
  switch (format) {
    case 'avif':
      pipeline = pipeline.avif({ quality: avif.quality, effort: avif.effort });
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality: webp.quality, effort: webp.effort });
      break;
    case 'jpeg':
      pipeline = pipeline.flatten({ background: preset.background }).jpeg({ quality: jpeg.quality, mozjpeg: jpeg.mozjpeg });
      break;
    case 'png':
      pipeline = pipeline.png({ compressionLevel: png.compressionLevel, adaptiveFiltering: true });
      break;
  }
  return pipeline.toBuffer({ resolveWithObject: true }).then(({ data, info }) => ({
    format,
    name: variant.name,
    width: info.width,
    height: info.height,
    data,
  }));
}

/** The ~16 px wide blurred WebP data URI, from the decode. */
export async function placeholderFor(raw: Raw): Promise<string> {
  const data = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
    .resize(16, 16, { fit: 'inside' })
    .blur(0.6)
    .webp({ quality: 40, effort: 4 })
    .toBuffer();
  return `data:image/webp;base64,${data.toString('base64')}`;
}

/** Relative encode cost per pixel (TOOLCHAIN.md's measurements), to start the slowest encodes first. */
const COST: Readonly<Record<OutputFormat, number>> = { avif: 25, png: 1.2, webp: 1, jpeg: 0.8 };

/** Every variant of the preset, in the preset's order, from one decode of `input`. */
export async function render(
  input: Uint8Array,
  inspection: Inspection,
  preset: VariantPreset,
  maxPixels: number,
  options: RenderOptions = {},
): Promise<Rendition> {
  const animation = animationOf(inspection);
  if (animation) return renderAnimated(input, inspection, animation, preset, maxPixels, options);
  const raw = await decode(input, inspection, preset, maxPixels);
  const jobs = preset.variants.flatMap((variant) => formatsFor(variant, preset, inspection).map((format) => ({ variant, format })));
  const costOf = (job: (typeof jobs)[number]) => {
    const size = variantSize(job.variant, raw.width, raw.height);
    return size.width * size.height * COST[job.format];
  };
  const order = jobs.map((job, index) => ({ index, cost: costOf(job) })).sort((a, b) => b.cost - a.cost);

  const results: RenderedVariant[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const { index } = order[next++];
      results[index] = await encode(raw, jobs[index].variant, jobs[index].format, preset);
    }
  };
  const placeholder = placeholderFor(raw);
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  return { variants: results, placeholder: await placeholder };
}
