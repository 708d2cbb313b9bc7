/**
 * Quality `target` mode: per upload and lossy format, the lowest encoder quality whose rendition reaches the preset's
 * SSIMULACRA 2 target, found by measuring inside the function.
 *
 * Per format, the sizes it is made at (variants of one size share one rendition) are handled smallest to largest
 * around a probe, the largest size at most `probeWidth` wide:
 * - at the probe, a search over integer qualities within the format's bounds, at most `MAX_PROBES` encodes, each
 *   decoded and scored against the source resized to the same size (`ssimulacra2Reference` prepares that once);
 *   the next quality is interpolated from the scores seen;
 * - every smaller size, and the larger sizes while their pixels add up to at most `measurePixels`, is scored in full
 *   from the quality of the size searched before it: a smaller size is raised where it falls short, a larger one is
 *   also lowered where it passes by more than a step (`measured`: the score recorded is the real score of the bytes
 *   served). Predicting the larger sizes from the probe held on real photos and failed
 *   on a noisy image (AVIF 1280 predicted 76.1, scored 67.2; JPEG 76.0 / 63.8) and a flat illustration (AVIF 77.4 /
 *   71.4), and scoring a few tiles of a large rendition overestimated its score by 2-10 points (docs/benchmarks.md);
 * - sizes beyond that budget take the quality of the largest measured size raised by `predictedQuality` (`predicted`):
 *   at one setting WebP scores lower the larger the rendition (a 12 MP photo's 2560 px WebP up to 5.3 points under
 *   its 640 px), JPEG on some photos too, AVIF not (measure/size-trend.ts, docs/benchmarks.md); a JPEG also by how
 *   much more fine detail per pixel the largest size holds than the measured one (`detailGrowth`: grain, native-size
 *   text), zero on the shared photos.
 * Where 4:2:0 chroma cannot reach the target at a measured size even at the highest quality (coloured text,
 * screenshots), JPEG and WebP search that size again with full chroma (`FULL_CHROMA_FORMATS`) and keep it for the
 * sizes after it.
 * JPEG is searched first: AVIF and WebP aim at least at JPEG's score minus `FALLBACK_GAP`, so the first choice of the
 * negotiated URL is never more than 3 points below the JPEG fallback where both are measured.
 * AVIF probes and renditions use the policy's effort (1: at equal score 6-9% more bytes than effort 3 in a third of
 * the time), so a measured encode at the chosen quality is the served rendition.
 */
import sharp from 'sharp';
import { OutputFormat } from '../../lib/formats';
import { ScoreSource } from '../../lib/metadata';
import { Image8, ssimulacra2Reference } from '../../lib/ssimulacra2';
import { QualityBounds, TARGETED_FORMATS, TargetedFormat, VariantPreset, VariantSpec } from '../../lib/variants';
import type { Raw, RenderedVariant } from './transform';
import { encodePixels, resized, variantSize } from './transform';

/**
 * Most encodes of the probe per format. On the 12 MP photo 4 choose the same qualities as 5 and keep the whole preset
 * at 1.25x today's CPU instead of 1.37x (measured before larger sizes were also searched down; now 1.11x,
 * docs/benchmarks.md).
 */
export const MAX_PROBES = 4;
/** Most encodes of a size other than the probe, verified from the quality of the size searched before it. */
const MAX_VERIFY_PROBES = 4;
/**
 * Formats searched again with full chroma (JPEG 4:4:4, WebP sharp YUV) when 4:2:0 cannot reach the target at a
 * measured size. On photos it is near neutral (WebP at 640 px, 4 photos: 2-10% more bytes for 0.3-1.9 more points, about
 * equal bytes at equal score, twice the encode time), so it is not the default; on coloured text it is the difference
 * (a 640x400 terminal screenshot: WebP q95 42.3 -> 79.3, JPEG q95 43.3 -> 86.8; the 640 px of G1: WebP q80 79.7
 * against 64.0 at q95, JPEG q80 73.5 against 66.3 at q95). AVIF is already 4:4:4.
 */
export const FULL_CHROMA_FORMATS: readonly TargetedFormat[] = ['jpeg', 'webp'];
/** How far below the JPEG fallback the first choice may score. */
export const FALLBACK_GAP = 3;
/** Aimed above the floor JPEG sets, so the measured first choice is clear of it. */
const FALLBACK_SLACK = 0.5;
/**
 * Most quality steps per doubling of width the trend may add. L1's JPEG rose from q61 at 320 px to q69 at 640 px and
 * then needed no more than q67-q70 at 1280-2560 px to score 74 (scores interpolated from a grid of encodes at those
 * sizes): the steep rise of the smallest sizes did not go on, and carrying 8 steps per doubling spent q76-q82 there.
 * The steepest trend that did go on was the screenshot G2's JPEG, 3 per doubling (q79 at 320 px, q82 at 640, q87
 * needed at 1640). docs/benchmarks.md ("Predicted sizes").
 */
export const MAX_TREND = 3;
/**
 * The quality of a size `width` wide, too large to measure, from the largest measured size's and the trend base's
 * quality and width (`trendBase`): the measured size's quality raised, per doubling of width above the measured
 * size, and at most `max`:
 * - by the trend t, the quality steps per doubling the target took from the base to the measured size, when it rose,
 *   at most `MAX_TREND` (JPEG and WebP: a photo whose needed quality rose from 320 to 640 px may keep rising, the
 *   screenshot G2's JPEG q79, q82, then q87 at 1640 px);
 * - for WebP also by 8 (85 - quality) / 20: the lower the WebP quality that suffices at 640 px, the more it loses
 *   at larger sizes (L1: q64 at 640 px scores 69.7 at 2560 px; M3: q81 loses 1.7);
 * - for JPEG also by `DETAIL_STEPS` times `detailGrowth` (never negative: `detailGrowth` is 0 where detail falls).
 * AVIF is not raised: at one quality its 1280 px scored at most 0.4 under its 640 px on the 7 photos.
 * The form was chosen on the 7 photos of ../shared/images, every 1280-2560 px rendition interpolated from a grid of
 * encodes (measure/size-trend.ts), where a WebP coefficient of 5 sufficed; in the processor the trend it sees is
 * smaller (its 640 px search settles within a step of the target), and 5 left the worst photo's full-size WebP at
 * 72.6 with the first choice 6.4 under JPEG, 8 the lowest predicted rendition of the 7 photos at 74.85 and the gap at
 * 2.98 (`npm run bench -- --only quality`, both with sizes searched down and up). Numbers in docs/benchmarks.md
 * ("Predicted sizes").
 */
export function predictedQuality(
  format: TargetedFormat,
  measured: { quality: number; width: number },
  base: { quality: number; width: number } | undefined,
  width: number,
  max: number,
  detailGrowth = 0,
): number {
  const doublings = Math.log2(width / measured.width);
  if (format === 'avif' || !(doublings > 0)) return measured.quality;
  const span = base ? Math.log2(measured.width / base.width) : 0;
  const trend = base && span > 0 ? Math.min(MAX_TREND, Math.max(0, (measured.quality - base.quality) / span)) : 0;
  const webp = format === 'webp' ? (8 * Math.max(0, 85 - measured.quality)) / 20 : 0;
  const detail = format === 'jpeg' ? DETAIL_STEPS * detailGrowth : 0;
  return Math.min(max, measured.quality + Math.ceil((trend + webp + detail) * doublings - 1e-9));
}

/**
 * Quality steps per doubling of the mean Laplacian (`detailGrowth`). Where a picture holds more fine detail per pixel
 * the larger it is made (grain that a downscale averages away, text drawn at its native size), a predicted size needs
 * more than any trend of the small sizes says. Measured (measure/predicted-sizes.ts, JPEG, the lowest quality reaching
 * 75 against the 640 px's): a 4000x3000 photo-like image with per-pixel grain (fixtures/images.ts `photoJpeg`),
 * detail 1.73x, 2.47x and 2.93x the 640 px's at 1280, 1920 and 2560 px, needed 9, 15 and 18 steps more (11.4-11.6 per
 * doubling of detail); a 2400x1500 coloured-text image, 1.29x at 2400 px, 4 steps (11). The same grain at 1600x1200
 * needed more: with 11 its predicted 1280 and 1600 px JPEGs scored 72.9 and 72.8, with 15 74.9 and 74.7 (the 4000 px
 * one then 77.9-81.4), with 18 77.2 and 75.8. Without the term they scored 69.6 and 66.2 (4000 px: 71.5, 70.0, 68.0).
 * On the 7 photos, G1, G2 and T1 detail per pixel falls with size (0.2x-0.77x the 640 px's at full size; L3 from its
 * measured 1280 px 0.75x), so the term is zero there. JPEG only: WebP's own term (the lower its
 * quality, the more it is raised) already took the grain's WebP to q73, q78 and q81, which reach 75 at every size
 * (q63, q76 and q81 needed), and with this term on top it took q95 at 2560 px, 8x the bytes; the text's native-size
 * WebP falls short at any quality (72.0 at q86 with sharp YUV, 73.1 at q91).
 */
export const DETAIL_STEPS = 15;

/**
 * The mean absolute Laplacian of the luma of 8-bit pixels (grey: the first channel): how much fine detail a size
 * holds per pixel. About 20 ms per megapixel.
 */
export function meanLaplacian(pixels: { data: Buffer; width: number; height: number; channels: number }): number {
  const { data, width, height, channels } = pixels;
  if (width < 3 || height < 3) return 0;
  const luma = new Float32Array(width * height);
  for (let i = 0, o = 0; i < luma.length; i++, o += channels) {
    luma[i] = channels >= 3 ? 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2] : data[o];
  }
  let sum = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1, i = y * width + 1; x < width - 1; x++, i++) {
      const laplacian = 4 * luma[i] - luma[i - 1] - luma[i + 1] - luma[i - width] - luma[i + width];
      sum += laplacian < 0 ? -laplacian : laplacian;
    }
  }
  return sum / ((width - 2) * (height - 2));
}

/**
 * How the detail per pixel grows per doubling of width from the largest measured size to the largest predicted
 * one: log2 of the ratio of their mean Laplacians over the doublings between them, 0 where it falls.
 */
export function detailGrowth(measured: { detail: number; width: number }, largest: { detail: number; width: number }): number {
  const doublings = Math.log2(largest.width / measured.width);
  if (!(doublings > 0) || !(measured.detail > 0) || !(largest.detail > 0)) return 0;
  return Math.max(0, Math.log2(largest.detail / measured.detail) / doublings);
}
/** Score points per quality step near the target (1280 px, 7 photos: AVIF q50->60 +7.3, WebP q80->88 +6.8, JPEG q75->82 +3.5). */
export const SLOPE: Readonly<Record<TargetedFormat, number>> = { avif: 0.73, webp: 0.85, jpeg: 0.5 };
/**
 * Smallest move up from a failing quality. AVIF qualities map onto 64 quantizer steps, so neighbouring qualities
 * often encode identically (L2's 640 px AVIF: q60 and q61 both 75.18, q62 76.38): one step would spend a probe.
 */
export const STEP: Readonly<Record<TargetedFormat, number>> = { avif: 2, webp: 1, jpeg: 1 };

export interface Choice {
  readonly quality: number;
  readonly score: number;
  readonly scoreSource: ScoreSource;
  /** The final rendition when it was made while measuring (probe and smaller variants). */
  readonly rendered?: RenderedVariant;
  /** JPEG 4:4:4 or WebP sharp YUV, where 4:2:0 could not reach the target (`FULL_CHROMA_FORMATS`). */
  readonly fullChroma?: boolean;
}

export function choiceKey(variant: VariantSpec, format: OutputFormat): string {
  return `${format}/${variant.name}`;
}

/** The result of one search: the quality chosen, its score and its encoding. */
interface Found {
  readonly quality: number;
  readonly score: number;
  readonly data: Buffer;
}

/**
 * The lowest integer quality in [min, max] scoring at least `target`, or `max` when none does (its score says so),
 * with at most `probes` encodes plus one of `max` when the search ended without a passing quality. `step` is the
 * smallest move up from a failing quality.
 */
export async function searchQuality(
  scoreAt: (quality: number) => Promise<{ score: number; data: Buffer }>,
  target: number,
  bounds: { min: number; max: number },
  start: number,
  slope: number,
  probes: number,
  step = 1,
  settle = false,
): Promise<Found> {
  const seen = new Map<number, { score: number; data: Buffer }>();
  let lo = bounds.min;
  let hi = bounds.max;
  let quality = Math.min(bounds.max, Math.max(bounds.min, Math.round(start)));
  for (let probe = 0; probe < probes; probe += 1) {
    const result = await scoreAt(quality);
    seen.set(quality, result);
    if (result.score >= target) hi = quality;
    else lo = quality + 1;
    if (lo >= hi) break;
    const below = seen.get(lo - 1);
    const above = seen.get(hi);
    let next: number;
    if (below && above) next = lo - 1 + Math.ceil(((target - below.score) / (above.score - below.score)) * (hi - lo + 1));
    else if (below) {
      // Only failures seen: step up by the slope, or by the flatter slope measured between the two highest failures
      // (a noisy image gains less per step than a photo).
      const lower = Math.max(-Infinity, ...[...seen.keys()].filter((q) => q < lo - 1));
      const measured = Number.isFinite(lower) ? (below.score - seen.get(lower)!.score) / (lo - 1 - lower) : slope;
      next = lo - 1 + Math.max(step, Math.ceil((target - below.score) / (measured > 0 ? Math.min(slope, measured) : slope)));
    }
    else {
      next = hi - Math.floor((above!.score - target) / slope);
      // Only passes seen, and the last within a step of the target: with `settle`, keep it rather than spend an encode
      // on a quality the slope says fails.
      if (settle && hi - next < step) break;
    }
    // Never the passing end again, never outside the bracket.
    quality = Math.min(above ? hi - 1 : hi, Math.max(lo, next));
  }
  let best = seen.get(hi);
  if (!best) {
    best = await scoreAt(hi);
    seen.set(hi, best);
  }
  return { quality: hi, ...best };
}

/** 8-bit sRGB with 3 or 4 channels, as the metric takes it (grey sources are expanded). */
export async function image8(pixels: { data: Buffer; width: number; height: number; channels: number }): Promise<Image8> {
  if (pixels.channels === 3 || pixels.channels === 4) {
    return { data: pixels.data, width: pixels.width, height: pixels.height, channels: pixels.channels };
  }
  const { data, info } = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 2 } })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}

/** Scores are recorded to 2 decimals: the metric agrees with the reference tool to ~0.5. */
function rounded(score: number): number {
  return Math.round(score * 100) / 100;
}

/** An encoded rendition decoded to 8-bit sRGB, as the metric takes it. */
export async function decoded(data: Buffer): Promise<Image8> {
  const { data: pixels, info } = await sharp(data).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return image8({ data: pixels, width: info.width, height: info.height, channels: info.channels });
}

/** One size a format is made at: the variants of that size (several when the source is small) and their area. */
interface Size {
  readonly variants: VariantSpec[];
  readonly width: number;
  readonly height: number;
  readonly pixels: number;
}

/**
 * Where the trend of the predicted sizes starts: the widest size below the largest measured one, at most `probeWidth`
 * wide, with its fit. The probe can be a crop: the cover thumb of a wide photo is larger in pixels than its 320 px
 * (320x180), but it shows the centre of the picture at another scale. Only where no size of that fit is that small
 * (a preset without a 320 px, such as dev's: thumb, 640, 1280, full) is the probe the base, as it was for every
 * preset before, at the crop's scale (`equivalentWidth`): G2's 1640 px JPEG in dev then takes q87 (74.2) where the
 * crop's own width gave q86 (73.7) and no base at all q82.
 */
export function trendBase(sizes: readonly { width: number; fit: string }[], probe: number, lastMeasured: number, probeWidth: number): number | undefined {
  let widest: number | undefined;
  for (let index = 0; index < lastMeasured; index++) {
    const size = sizes[index];
    if (size.width <= probeWidth && size.fit === sizes[lastMeasured].fit && (widest === undefined || size.width > sizes[widest].width)) widest = index;
  }
  return widest ?? (probe < lastMeasured ? probe : undefined);
}

/**
 * The width the whole picture has at a size's scale: its width for a fitted (inside) size; for a cover crop the
 * source's width times the crop's scale (G2's 256x256 thumb of 1640x919 is at the scale of a 457 px wide picture).
 */
export function equivalentWidth(size: { width: number; height: number; variants: readonly VariantSpec[] }, source: { width: number; height: number }): number {
  if (size.variants[0].fit !== 'cover') return size.width;
  return Math.max(size.width / source.width, size.height / source.height) * source.width;
}

/**
 * Which sizes of a format are scored in full: the probe, every size below it, and the sizes above it, smallest
 * first, while their pixels add up to at most `measurePixels`. The rest are predicted.
 */
export function measuredSizes(sizes: readonly { pixels: number }[], probe: number, measurePixels: number): boolean[] {
  let spent = 0;
  let open = true;
  return sizes.map((size, index) => {
    if (index <= probe) return true;
    open = open && spent + size.pixels <= measurePixels;
    if (open) spent += size.pixels;
    return open;
  });
}

/**
 * The quality (and score) of every targeted job: AVIF, WebP and JPEG renditions of the preset's variants. PNG jobs
 * are lossless and get no entry.
 */
export async function chooseQualities(
  raw: Raw,
  preset: VariantPreset,
  jobs: readonly { variant: VariantSpec; format: OutputFormat }[],
): Promise<Map<string, Choice>> {
  const policy = preset.quality;
  const choices = new Map<string, Choice>();
  // The reference side of the metric, prepared once per size (and per flattening: only JPEG of an alpha source differs).
  const pixelsKey = (variant: VariantSpec, format: OutputFormat) =>
    `${variant.name}/${format === 'jpeg' && (raw.channels === 2 || raw.channels === 4) ? 'flat' : 'as-is'}`;
  const references = new Map<string, Promise<{ pixels: Raw; score: (image: Image8) => number }>>();
  const reference = (variant: VariantSpec, format: OutputFormat) => {
    const key = pixelsKey(variant, format);
    let prepared = references.get(key);
    if (!prepared) {
      prepared = resized(raw, variant, format, preset).then(async (pixels) => ({ pixels, score: ssimulacra2Reference(await image8(pixels)) }));
      references.set(key, prepared);
    }
    return prepared;
  };
  // The mean Laplacian of a size: from the metric's reference where the size was measured, else resized for it.
  const detailOf = async (variant: VariantSpec, format: OutputFormat) => {
    const prepared = references.get(pixelsKey(variant, format));
    return meanLaplacian(prepared ? (await prepared).pixels : await resized(raw, variant, format, preset));
  };
  const scorer = (variant: VariantSpec, format: TargetedFormat, fullChroma: boolean) => async (quality: number) => {
    const { pixels, score } = await reference(variant, format);
    const data = await encodePixels(pixels, format, preset, quality, fullChroma);
    return { data, score: score(await decoded(data)) };
  };
  // Every variant of one size gets the same rendition: its pixels are the same, so its score is the one measured.
  const measuredChoices = (format: TargetedFormat, size: Size, found: Found, fullChroma: boolean) => {
    const score = rounded(found.score);
    const chroma = fullChroma ? { fullChroma } : {};
    for (const variant of size.variants) {
      choices.set(choiceKey(variant, format), {
        quality: found.quality,
        score,
        scoreSource: 'measured',
        ...chroma,
        rendered: { format, name: variant.name, width: size.width, height: size.height, data: found.data, quality: found.quality, score, scoreSource: 'measured', ...chroma },
      });
    }
  };

  const target = async (format: TargetedFormat) => {
    const sizes: Size[] = [];
    for (const job of jobs) {
      if (job.format !== format) continue;
      const { width, height } = variantSize(job.variant, raw.width, raw.height);
      // Cropped (cover) and fitted (inside) variants of one size show different pixels: only same-fit variants share.
      const same = sizes.find((size) => size.width === width && size.height === height && size.variants[0].fit === job.variant.fit);
      if (same) same.variants.push(job.variant);
      else sizes.push({ variants: [job.variant], width, height, pixels: width * height });
    }
    if (sizes.length === 0) return;
    sizes.sort((a, b) => a.pixels - b.pixels);
    const fitting = sizes.filter((size) => size.width <= policy.probeWidth);
    const probe = fitting.length > 0 ? sizes.indexOf(fitting[fitting.length - 1]) : 0;
    const measured = measuredSizes(sizes, probe, policy.measurePixels);
    const lastMeasured = measured.lastIndexOf(true);
    const bounds = policy.bounds[format];
    // The score a size of this format must reach: the target, and no more than FALLBACK_GAP under JPEG's.
    const aim = (index: number) => {
      const jpegScores = format === 'jpeg' ? [] : sizes[index].variants.map((variant) => choices.get(choiceKey(variant, 'jpeg'))?.score ?? -Infinity);
      return Math.max(policy.target, ...jpegScores.map((score) => score - FALLBACK_GAP + FALLBACK_SLACK));
    };
    // Full chroma once 4:2:0 has failed a size even at the highest quality: then for that size again and every size after.
    let fullChroma = false;
    let switchedAt: Found | undefined;
    const search = async (index: number, range: QualityBounds, start: number, probes: number, settle = false) => {
      const searchAt = (full: boolean, within: QualityBounds, from: number) =>
        searchQuality(scorer(sizes[index].variants[0], format, full), aim(index), within, from, SLOPE[format], probes, STEP[format], settle);
      const found = await searchAt(fullChroma, range, start);
      if (fullChroma || found.score >= aim(index) || !FULL_CHROMA_FORMATS.includes(format)) return { found, fullChroma };
      // 4:2:0 cannot reach the target here (coloured text, screenshots): search this size again with full chroma,
      // over the whole bounds, and keep full chroma for the sizes after it where it scores higher.
      const full = await searchAt(true, bounds, preset.encoders[format].quality);
      if (full.score <= found.score) return { found, fullChroma };
      fullChroma = true;
      switchedAt = full;
      return { found: full, fullChroma };
    };
    const measure = async (index: number, range: QualityBounds, start: number, probes: number, settle = false) => {
      const result = await search(index, range, start, probes, settle);
      measuredChoices(format, sizes[index], result.found, result.fullChroma);
      return result.found;
    };

    const found = await measure(probe, bounds, preset.encoders[format].quality, MAX_PROBES);
    // Smaller sizes start from the probe's quality and only go up: they are verified, not searched afresh.
    for (let index = 0; index < probe; index++) {
      await measure(index, { min: found.quality, max: bounds.max }, found.quality, MAX_VERIFY_PROBES);
    }
    // Larger sizes are measured smallest first, each starting from the quality of the size below it and searched both
    // ways: a photo's needed quality often falls with size (L4's JPEG q78 at 320 px, q71 at 640; AVIF of M3, G2, T1,
    // L4 too), and every predicted size above inherits it. After a switch to full chroma below the probe, from the
    // quality full chroma needed there (4:2:0's would be far off).
    let previous = switchedAt ?? found;
    for (let index = probe + 1; index <= lastMeasured; index++) {
      previous = await measure(index, bounds, previous.quality, MAX_VERIFY_PROBES, true);
    }
    // A predicted size records the score of the measured size its quality is raised from. The trend's base
    // (`trendBase`), with the quality chosen for it; a base in 4:2:0 says nothing about a full-chroma quality: then
    // there is no trend.
    const predicted = rounded(previous.score);
    const fit = sizes[lastMeasured].variants[0].fit;
    const baseIndex = trendBase(sizes.map((size) => ({ width: size.width, fit: size.variants[0].fit })), probe, lastMeasured, policy.probeWidth);
    const baseChoice = baseIndex === undefined ? undefined : choices.get(choiceKey(sizes[baseIndex].variants[0], format));
    const base = baseChoice && Boolean(baseChoice.fullChroma) === fullChroma
      ? { quality: baseChoice.quality, width: equivalentWidth(sizes[baseIndex!], raw) } : undefined;
    // JPEG: detail per pixel at the largest predicted size against the largest measured one (`DETAIL_STEPS`).
    const largest = sizes.filter((size, index) => index > lastMeasured && size.variants[0].fit === fit).pop();
    const growth = format !== 'jpeg' || !largest ? 0 : detailGrowth(
      { detail: await detailOf(sizes[lastMeasured].variants[0], format), width: sizes[lastMeasured].width },
      { detail: await detailOf(largest.variants[0], format), width: largest.width });
    for (let index = lastMeasured + 1; index < sizes.length; index++) {
      const quality = predictedQuality(format, { quality: previous.quality, width: sizes[lastMeasured].width },
        base, sizes[index].width, bounds.max, growth);
      for (const variant of sizes[index].variants) {
        choices.set(choiceKey(variant, format), { quality, score: predicted, scoreSource: 'predicted', ...(fullChroma ? { fullChroma } : {}) });
      }
    }
  };

  await target('jpeg');
  await Promise.all(TARGETED_FORMATS.filter((format) => format !== 'jpeg').map(target));
  return choices;
}
