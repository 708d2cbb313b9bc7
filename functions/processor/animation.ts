/**
 * The animated pipeline: an animated GIF or WebP upload gets animated WebP renditions of the variants that animate
 * (lib/variants.ts `animates`: the `inside` width variants), with the upload's frame delays and loop count, alpha
 * kept and nothing upscaled; every other format of every variant, and the thumbnail, is a still of the first frame
 * (the poster), made exactly as transform.ts makes a still upload's renditions (in `target` mode at the qualities
 * the search chooses for them; the animated WebPs at the preset's WebP quality).
 *
 * Each animated WebP is its own sharp pipeline from the upload's bytes (decode, per-frame resize, encode): libvips
 * streams it frame by frame, so memory grows with one frame and the encoder's state, not with the whole strip
 * (~2 bytes per frame pixel measured, functions/processor/limits.ts). Variants that come out the same size (a small
 * GIF's 640, 1280, 1920 and full are all its own size) share one encode.
 *
 * An animated WebP that carries an EXIF orientation other than 1 is rendered upright as a still: libvips rotates a
 * multi-page image as one tall strip, not frame by frame. Encoders of animated WebP do not write that tag in practice.
 */
import sharp from 'sharp';
import { PermanentFailure } from '../../lib/failures';
import { OutputFormat } from '../../lib/formats';
import { VariantPreset, VariantSpec, animates } from '../../lib/variants';
import { Inspection, decodeFailure } from './inspect';
import { AnimationBudget } from './limits';
import { RenderOptions, RenderedVariant, Rendition, decode, fixedQuality, formatsFor, placeholderFor, stillChoices, stillRendition, variantSize } from './transform';

/** What makes an upload an animation, as the renditions keep it. */
export interface Animation {
  readonly frames: number;
  /** Delay of each frame in milliseconds. */
  readonly delays: readonly number[];
  /** Times it plays, 0 = forever. */
  readonly loop: number;
  /** One pass: the sum of the delays. */
  readonly durationMs: number;
}

/** The upload's animation, or undefined when it is rendered as a still (one frame, or rotated by EXIF). */
export function animationOf(inspection: Inspection): Animation | undefined {
  if (inspection.frames < 2 || !inspection.delays || inspection.orientation !== 1) return undefined;
  const delays = inspection.delays.slice(0, inspection.frames);
  return { frames: inspection.frames, delays, loop: inspection.loop ?? 0, durationMs: delays.reduce((sum, delay) => sum + delay, 0) };
}

interface Size {
  readonly width: number;
  readonly height: number;
}

/** The distinct sizes of the animated renditions of a `width` x `height` upload: one encode each. */
export function animatedSizes(preset: VariantPreset, width: number, height: number): Size[] {
  const sizes = new Map<string, Size>();
  for (const variant of preset.variants.filter(animates)) {
    const size = variantSize(variant, width, height);
    sizes.set(`${size.width}x${size.height}`, size);
  }
  return [...sizes.values()];
}

/** Estimated CPU time of the animated encodes, from the measured cost per megapixel of output frames. */
export function estimatedEncodeMs(inspection: Inspection, animation: Animation, preset: VariantPreset, budget: AnimationBudget): number {
  const pixels = animatedSizes(preset, inspection.width, inspection.height)
    .reduce((sum, size) => sum + size.width * size.height * animation.frames, 0);
  return (pixels / 1e6) * budget.encodeMsPerMegapixel;
}

/**
 * Refuses an animation over the budget before anything is decoded or written: ANIMATION_TOO_LARGE. The frame count
 * itself is checked by inspect (TOO_MANY_FRAMES), for stills and animations alike.
 */
export function checkAnimationBudget(inspection: Inspection, preset: VariantPreset, budget: AnimationBudget): void {
  const animation = animationOf(inspection);
  if (!animation) return;
  const framePixels = inspection.width * inspection.height * animation.frames;
  if (framePixels > budget.maxFramePixels) {
    throw new PermanentFailure('ANIMATION_TOO_LARGE',
      `the animation is ${animation.frames} frames of ${inspection.width}x${inspection.height} (${framePixels} frame pixels); the budget is ${budget.maxFramePixels}`);
  }
  const encodeMs = estimatedEncodeMs(inspection, animation, preset, budget);
  if (encodeMs > budget.maxEncodeMs) {
    throw new PermanentFailure('ANIMATION_TOO_LARGE',
      `the animated renditions would take about ${(encodeMs / 1000).toFixed(1)} s to encode; the budget is ${(budget.maxEncodeMs / 1000).toFixed(1)} s`);
  }
}

/** One animated WebP of the upload at `size` (the size of each frame). */
async function encodeAnimated(input: Uint8Array, inspection: Inspection, animation: Animation, size: Size, preset: VariantPreset, maxPixels: number) {
  try {
    const { data, info } = await sharp(input, { animated: true, limitInputPixels: maxPixels * animation.frames, failOn: 'error' })
      // With the page height known, sharp resizes every frame to this size, not the strip as a whole.
      .resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .webp({ quality: preset.encoders.webp.quality, effort: preset.encoders.webp.effort, loop: animation.loop, delay: [...animation.delays] })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.pageHeight ?? info.height, frames: info.pages ?? animation.frames };
  } catch (error) {
    throw decodeFailure(error, inspection.format);
  }
}

/** Relative cost per output pixel (a still WebP = 1), to start the slowest encodes first. */
const STILL_COST: Readonly<Record<OutputFormat, number>> = { avif: 25, png: 1.2, webp: 1, jpeg: 0.8 };
/** Per frame: 182 vs 74 ms/MP measured (functions/processor/limits.ts). */
const ANIMATED_FRAME_COST = 2.5;

type Job =
  | { readonly kind: 'still'; readonly variant: VariantSpec; readonly format: OutputFormat; readonly cost: number }
  | { readonly kind: 'animated'; readonly variant: VariantSpec; readonly size: Size; readonly cost: number };

/** Every variant of the preset, in the preset's order: animated WebPs where the variant animates, posters elsewhere. */
export async function renderAnimated(
  input: Uint8Array,
  inspection: Inspection,
  animation: Animation,
  preset: VariantPreset,
  maxPixels: number,
  options: RenderOptions = {},
): Promise<Rendition> {
  // The posters' single decode: the first frame only, as for a still upload.
  const raw = await decode(input, inspection, preset, maxPixels);
  const jobs: Job[] = preset.variants.flatMap((variant) => formatsFor(variant, preset, inspection).map((format): Job => {
    if (format === 'webp' && animates(variant)) {
      const size = variantSize(variant, inspection.width, inspection.height);
      return { kind: 'animated', variant, size, cost: size.width * size.height * animation.frames * ANIMATED_FRAME_COST };
    }
    const size = variantSize(variant, raw.width, raw.height);
    return { kind: 'still', variant, format, cost: size.width * size.height * STILL_COST[format] };
  }));

  // Posters are stills, so in target mode their qualities are chosen (and measured) as a still upload's are; the
  // animated WebPs keep the preset's WebP quality: a score of one frame would not speak for the others.
  const choices = await stillChoices(raw, preset, jobs.flatMap((job) => (job.kind === 'still' ? [job] : [])));
  const animatedBySize = new Map<string, ReturnType<typeof encodeAnimated>>();
  const run = async (job: Job): Promise<RenderedVariant> => {
    if (job.kind === 'still') return stillRendition(raw, job.variant, job.format, preset, choices);
    const key = `${job.size.width}x${job.size.height}`;
    let encoded = animatedBySize.get(key);
    if (!encoded) {
      encoded = encodeAnimated(input, inspection, animation, job.size, preset, maxPixels);
      animatedBySize.set(key, encoded);
    }
    const { data, width, height, frames } = await encoded;
    return { format: 'webp', name: job.variant.name, width, height, data, frames, quality: fixedQuality('webp', preset) };
  };

  const order = jobs.map((job, index) => ({ index, cost: job.cost })).sort((a, b) => b.cost - a.cost);
  const results: RenderedVariant[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const { index } = order[next++];
      results[index] = await run(jobs[index]);
    }
  };
  const placeholder = placeholderFor(raw);
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  return { variants: results, placeholder: await placeholder };
}
