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
import { ScoreSource } from '../../lib/metadata';
import { VariantPreset, VariantSpec } from '../../lib/variants';
import { animationOf, renderAnimated } from './animation';
import { Inspection, decodeFailure } from './inspect';
import { Choice, chooseQualities, choiceKey } from './targeting';

export interface RenderedVariant {
  readonly format: OutputFormat;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
  /** Frames of an animated rendition; absent on stills. */
  readonly frames?: number;
  /** Encoder quality setting used (lossy formats). */
  readonly quality?: number;
  /** SSIMULACRA 2 score against the source resized to the same size (`target` mode). */
  readonly score?: number;
  readonly scoreSource?: ScoreSource;
  /** JPEG 4:4:4, WebP sharp YUV: chosen by target mode where 4:2:0 cannot reach the target (`full_chroma`). */
  readonly fullChroma?: boolean;
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

/**
 * The pixels of one format of one variant before encoding: resized (cropped for `cover`) from the decode and, for
 * JPEG of a source with alpha, flattened onto the preset's background. The targeting search scores against these.
 */
export async function resized(raw: Raw, variant: VariantSpec, format: OutputFormat, preset: VariantPreset): Promise<Raw> {
  const size = variantSize(variant, raw.width, raw.height);
  const { data, info } = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
    .resize(size.width, size.height, { fit: variant.fit === 'cover' ? 'cover' : 'fill', position: 'attention' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels: Raw = { data, width: info.width, height: info.height, channels: info.channels };
  if (format !== 'jpeg' || (pixels.channels !== 2 && pixels.channels !== 4)) return pixels;
  // Cropped before it is flattened, so the JPEG thumbnail shows the same part of the image as the AVIF and WebP ones.
  const flat = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
    .flatten({ background: preset.background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: flat.data, width: flat.info.width, height: flat.info.height, channels: flat.info.channels };
}

/** The encoder quality of `format` in fixed mode (undefined for lossless PNG). */
export function fixedQuality(format: OutputFormat, preset: VariantPreset): number | undefined {
  return format === 'png' ? undefined : preset.encoders[format].quality;
}

/**
 * Encodes pixels from `resized` as one format. `quality` replaces the preset's encoder quality (`target` mode, where
 * AVIF also takes the quality policy's effort).
 */
export async function encodePixels(pixels: Raw, format: OutputFormat, preset: VariantPreset, quality?: number, fullChroma = false): Promise<Buffer> {
  let pipeline = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
  const { avif, webp, jpeg, png } = preset.encoders;
  const targeted = quality !== undefined;
  switch (format) {
    case 'avif':
      pipeline = pipeline.avif({ quality: quality ?? avif.quality, effort: targeted ? preset.quality.avifEffort : avif.effort });
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality: quality ?? webp.quality, effort: webp.effort, ...(fullChroma ? { smartSubsample: true } : {}) });
      break;
    case 'jpeg':
      pipeline = pipeline.flatten({ background: preset.background })
        .jpeg({ quality: quality ?? jpeg.quality, mozjpeg: jpeg.mozjpeg, ...(fullChroma ? { chromaSubsampling: '4:4:4' } : {}) });
      break;
    case 'png':
      pipeline = pipeline.png({ compressionLevel: png.compressionLevel, adaptiveFiltering: true });
      break;
  }
  return pipeline.toBuffer();
}

/** One format of one variant, resized and encoded from the decode (at `quality` when given, else the fixed settings). */
export async function encode(
  raw: Raw,
  variant: VariantSpec,
  format: OutputFormat,
  preset: VariantPreset,
  quality?: number,
  fullChroma = false,
): Promise<RenderedVariant> {
  const pixels = await resized(raw, variant, format, preset);
  const data = await encodePixels(pixels, format, preset, quality, fullChroma);
  const used = quality ?? fixedQuality(format, preset);
  return {
    format, name: variant.name, width: pixels.width, height: pixels.height, data,
    ...(used !== undefined ? { quality: used } : {}),
    ...(fullChroma ? { fullChroma } : {}),
  };
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

/** In `target` mode the quality chosen for each still rendition of `raw` (targeting.ts); none in `fixed` mode. */
export async function stillChoices(
  raw: Raw,
  preset: VariantPreset,
  jobs: readonly { variant: VariantSpec; format: OutputFormat }[],
): Promise<ReadonlyMap<string, Choice>> {
  return preset.quality.mode === 'target' ? chooseQualities(raw, preset, jobs) : new Map();
}

/** A still rendition: the encode made while measuring, else one at the chosen quality (the preset's without a choice). */
export async function stillRendition(
  raw: Raw,
  variant: VariantSpec,
  format: OutputFormat,
  preset: VariantPreset,
  choices: ReadonlyMap<string, Choice>,
): Promise<RenderedVariant> {
  const choice = choices.get(choiceKey(variant, format));
  if (choice?.rendered) return choice.rendered;
  const rendered = await encode(raw, variant, format, preset, choice?.quality, choice?.fullChroma);
  return choice ? { ...rendered, score: choice.score, scoreSource: choice.scoreSource } : rendered;
}

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

  const placeholder = placeholderFor(raw);
  const choices = await stillChoices(raw, preset, jobs);
  const results: RenderedVariant[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const { index } = order[next++];
      results[index] = await stillRendition(raw, jobs[index].variant, jobs[index].format, preset, choices);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  return { variants: results, placeholder: await placeholder };
}
