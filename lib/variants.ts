/**
 * The variant preset: which renditions are made of every upload, in which formats, with which encoder settings.
 *
 * This is the one place that decides it. The processor function encodes exactly these variants, the CDN's
 * format-negotiation function is generated from them (so it never points at a variant that is not made), and the
 * local runtime and the command line list URLs from them.
 */
import { OUTPUT_FORMATS, OutputFormat } from './formats';
import { ANIMATED_SUFFIX } from './keys';
import { expected, integerProblems, oneOfProblems } from './problems';

/** How a variant is sized: `cover` crops to exactly width x height, `inside` fits within them without cropping. */
export const FITS = ['cover', 'inside'] as const;
export type Fit = (typeof FITS)[number];

export interface VariantSpec {
  /** Name used in keys and URLs (`/webp/<image_id>/<name>.webp`): lower-case letters, digits and hyphens. */
  readonly name: string;
  /** Target width in pixels (cover) or the largest width (inside). Sources are never upscaled. */
  readonly width: number;
  /**
   * Target height (cover) or the largest height (inside).
   *
   * @default - no height limit for `inside`; required for `cover`
   */
  readonly height?: number;
  readonly fit: Fit;
  /** Formats made for every source, in any order; the CDN prefers them as `NEGOTIATION_PREFERENCE` says. */
  readonly formats: readonly OutputFormat[];
}

/**
 * When a lossless PNG is made in addition to a variant's formats.
 * `alpha-or-lossless`: only where the source has transparency or is itself lossless (PNG, lossless WebP, GIF).
 */
export const PNG_POLICIES = ['never', 'alpha-or-lossless', 'always'] as const;
export type PngPolicy = (typeof PNG_POLICIES)[number];

export interface EncoderSettings {
  readonly avif: { readonly quality: number; readonly effort: number };
  readonly webp: { readonly quality: number; readonly effort: number };
  readonly jpeg: { readonly quality: number; readonly mozjpeg: boolean };
  readonly png: { readonly compressionLevel: number };
}

/** The lossy formats whose encoder quality is chosen per upload in `target` mode. */
export const TARGETED_FORMATS = ['avif', 'webp', 'jpeg'] as const;
export type TargetedFormat = (typeof TARGETED_FORMATS)[number];

/**
 * `fixed`: every upload is encoded with `encoders` as they are. `target`: per upload and format, the processor picks
 * the lowest encoder quality within `bounds` whose rendition scores at least `target` on SSIMULACRA 2 (100 identical,
 * 90 visually lossless, 70 high) against the source resized to the same size (functions/processor/targeting.ts).
 */
export const QUALITY_MODES = ['target', 'fixed'] as const;
export type QualityMode = (typeof QUALITY_MODES)[number];

export interface QualityBounds {
  readonly min: number;
  readonly max: number;
}

export interface QualityPolicy {
  readonly mode: QualityMode;
  /** SSIMULACRA 2 score every negotiated rendition reaches in `target` mode. */
  readonly target: number;
  /** Encoder qualities the search may choose from, per format (1-100, inclusive). */
  readonly bounds: Readonly<Record<TargetedFormat, QualityBounds>>;
  /** The search measures on the largest variant at most this wide (the smallest variant if none is). */
  readonly probeWidth: number;
  /**
   * Sizes larger than the probe are scored in full, smallest first, while their pixels add up to at most this per
   * format; larger sizes take the quality of the largest measured one, raised for their size (`score_source: predicted`).
   */
  readonly measurePixels: number;
  /** AVIF effort in `target` mode, for the probes and the renditions alike (fixed mode keeps `encoders.avif.effort`). */
  readonly avifEffort: number;
}

export interface VariantPreset {
  readonly variants: readonly VariantSpec[];
  readonly png: PngPolicy;
  /** Encoder settings of `fixed` mode; in `target` mode their qualities are where each search starts. */
  readonly encoders: EncoderSettings;
  readonly quality: QualityPolicy;
  /** Background that JPEG outputs are flattened onto when the source has transparency (CSS hex colour). */
  readonly background: string;
}

/** Order in which the CDN picks a format that the browser accepts and the variant has. */
export const NEGOTIATION_PREFERENCE: readonly OutputFormat[] = ['avif', 'webp', 'jpeg', 'png'];

/**
 * The default preset. AVIF is by far the costliest encode, so it is made only up to 1280 px wide, where one 12 MP
 * photo's whole set stays within a few seconds.
 *
 * Encoder settings chosen by measurement (`npm run bench -- --only grid`; numbers in docs/benchmarks.md: 5 real
 * photos, sharp 0.35.5, SSIMULACRA v1 where 0 is identical, CPU time on one thread):
 * - AVIF effort 3, not 4: at q50 and 1280 px it costs ~1400 instead of ~6100 ms per megapixel (4x less) for 2% more
 *   bytes at the same quality (0.0356 vs 0.0353); effort 2 saves only a little more time (~950 ms/MP) for 7% more
 *   bytes at lower quality (0.0372).
 * - WebP q88, not q80: the lowest quality at which the full-size WebP of the 12 MP benchmark photo is at least as
 *   faithful to the original as the seed design's full-size Pillow WebP (q85 method 6): 0.0225 vs 0.0242, in 638
 *   instead of 955 KB (q80 scored 0.0342 there). At 1280 px q88 averages 0.0185 (worst 0.0214), within or at the
 *   edge of SSIMULACRA's "good" 0.01-0.02, against 0.0276 (worst 0.0366) for q80, for 47% more WebP bytes.
 * - WebP effort 4: effort 3 and 5 change bytes and quality by under 3%; effort 5 costs ~20% more time.
 */
export const DEFAULT_PRESET: VariantPreset = {
  variants: [
    { name: 'thumb', width: 256, height: 256, fit: 'cover', formats: ['avif', 'webp', 'jpeg'] },
    { name: '320', width: 320, fit: 'inside', formats: ['avif', 'webp', 'jpeg'] },
    { name: '640', width: 640, fit: 'inside', formats: ['avif', 'webp', 'jpeg'] },
    { name: '1280', width: 1280, fit: 'inside', formats: ['avif', 'webp', 'jpeg'] },
    { name: '1920', width: 1920, fit: 'inside', formats: ['webp', 'jpeg'] },
    { name: 'full', width: 2560, height: 2560, fit: 'inside', formats: ['webp', 'jpeg'] },
  ],
  png: 'alpha-or-lossless',
  encoders: {
    avif: { quality: 50, effort: 3 },
    webp: { quality: 88, effort: 4 },
    jpeg: { quality: 82, mozjpeg: true },
    png: { compressionLevel: 9 },
  },
  // `target` by default (docs/benchmarks.md, "Quality target mode"; `npm run bench -- --only quality`, 7 photos): every
  // negotiated rendition scores at least 74.85 (measured ones at least 75) where these fixed settings let the AVIF
  // served first fall to 63.5, with 16% fewer bytes than them, and 14% (AVIF), 11% (WebP), 16% (JPEG), 14% over all
  // formats fewer than fixed settings calibrated to the worst photo (q63, q86, q82). The whole preset on the 12 MP
  // photo costs 1.11x fixed mode's CPU (bound 1.3x), peak RSS 337 MB. An environment returns to `fixed` with the
  // preset override `quality: { mode: 'fixed' }`.
  quality: {
    mode: 'target',
    target: 75,
    bounds: { avif: { min: 30, max: 90 }, webp: { min: 50, max: 95 }, jpeg: { min: 50, max: 95 } },
    probeWidth: 320,
    // 1 MP per format: the 640 px sizes of a 12 MP photo (0.31 MP) and all sizes of a 900x600 source (0.81 MP); the
    // 640 px measurements take target mode from ~1.0x to 1.11x fixed mode's CPU on the 12 MP photo.
    measurePixels: 1_000_000,
    // At equal score (75, 4 photos, 640 and 1280 px): effort 1 takes 6-9% more bytes than effort 3 in a third of the
    // time (1280 px: 401 vs 1275 ms, 91.6 vs 86.5 KB). AVIF is 4:4:4 (sharp's default): 4:2:0 needs 1-2 quality steps
    // more for the same score, saves no bytes (+0.3% to +3% at effort 1) and 4-17% of the encode time.
    avifEffort: 1,
  },
  background: '#ffffff',
};

/** A per-environment change to a preset; fields left out keep the base preset's value. */
export interface PresetOverride {
  readonly variants?: readonly VariantSpec[];
  readonly png?: PngPolicy;
  readonly encoders?: { readonly [F in keyof EncoderSettings]?: Partial<EncoderSettings[F]> };
  readonly quality?: Partial<Omit<QualityPolicy, 'bounds'>> & {
    readonly bounds?: { readonly [F in TargetedFormat]?: Partial<QualityBounds> };
  };
  readonly background?: string;
}

export function overridePreset(base: VariantPreset, override: PresetOverride = {}): VariantPreset {
  const encoders = override.encoders ?? {};
  const quality = override.quality ?? {};
  const bounds = quality.bounds ?? {};
  return {
    variants: override.variants ?? base.variants,
    png: override.png ?? base.png,
    background: override.background ?? base.background,
    encoders: {
      avif: { ...base.encoders.avif, ...encoders.avif },
      webp: { ...base.encoders.webp, ...encoders.webp },
      jpeg: { ...base.encoders.jpeg, ...encoders.jpeg },
      png: { ...base.encoders.png, ...encoders.png },
    },
    quality: {
      ...base.quality,
      ...quality,
      bounds: {
        avif: { ...base.quality.bounds.avif, ...bounds.avif },
        webp: { ...base.quality.bounds.webp, ...bounds.webp },
        jpeg: { ...base.quality.bounds.jpeg, ...bounds.jpeg },
      },
    },
  };
}

/** Longest variant name (the edge function's path pattern is sized from it). */
export const MAX_VARIANT_NAME_LENGTH = 32;
const VARIANT_NAME = new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_VARIANT_NAME_LENGTH - 1}}$`);
const MAX_DIMENSION = 8192;

/** Every problem with a preset, as one message each; empty when the preset is usable. */
export function presetProblems(preset: VariantPreset): string[] {
  const problems: string[] = [];
  if (preset.variants.length === 0) problems.push('the variant preset has no variants');
  const seen = new Set<string>();
  for (const variant of preset.variants) {
    const label = `variant ${JSON.stringify(variant.name)}`;
    if (!VARIANT_NAME.test(variant.name)) {
      problems.push(expected(`${label} name`, '1-32 lower-case letters, digits or hyphens', variant.name));
    }
    if (variant.name.endsWith(ANIMATED_SUFFIX)) {
      problems.push(expected(`${label} name`, `a name not ending in "${ANIMATED_SUFFIX}"`, variant.name, 'it marks the animated form of a variant in negotiated URLs'));
    }
    if (seen.has(variant.name)) problems.push(`${label}: name is used twice`);
    seen.add(variant.name);
    for (const [field, value] of [['width', variant.width], ['height', variant.height]] as const) {
      if (value === undefined) continue;
      problems.push(...integerProblems(`${label} ${field}`, value, 1, MAX_DIMENSION));
    }
    problems.push(...oneOfProblems(`${label} fit`, variant.fit, FITS));
    if (variant.fit === 'cover' && variant.height === undefined) {
      problems.push(`${label}: fit "cover" needs a height`);
    }
    if (variant.formats.length === 0) problems.push(`${label}: lists no formats`);
    for (const format of variant.formats) {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
        problems.push(expected(`a format of ${label}`, `one of ${OUTPUT_FORMATS.join(', ')}`, format));
      }
    }
    if (new Set(variant.formats).size !== variant.formats.length) problems.push(`${label}: lists a format twice`);
  }
  problems.push(...oneOfProblems('png', preset.png, PNG_POLICIES));
  const { avif, webp, jpeg, png } = preset.encoders;
  for (const [name, quality] of [['avif', avif.quality], ['webp', webp.quality], ['jpeg', jpeg.quality]] as const) {
    problems.push(...integerProblems(`${name} quality`, quality, 1, 100));
  }
  problems.push(
    ...integerProblems('avif effort', avif.effort, 0, 9),
    ...integerProblems('webp effort', webp.effort, 0, 6),
    ...integerProblems('png compressionLevel', png.compressionLevel, 0, 9),
  );
  problems.push(...qualityProblems(preset.quality));
  if (!/^#[0-9a-fA-F]{6}$/.test(preset.background)) {
    problems.push(expected('background', 'a colour like #ffffff', preset.background));
  }
  return problems;
}

function qualityProblems(quality: QualityPolicy | undefined): string[] {
  if (typeof quality !== 'object' || quality === null) return [expected('quality', 'an object with mode, target, bounds, probeWidth, measurePixels and avifEffort', quality)];
  const problems = oneOfProblems('quality mode', quality.mode, QUALITY_MODES);
  if (typeof quality.target !== 'number' || !(quality.target > 0 && quality.target <= 100)) {
    problems.push(expected('quality target', 'a SSIMULACRA 2 score above 0 and at most 100', quality.target));
  }
  for (const format of TARGETED_FORMATS) {
    const bounds = quality.bounds?.[format];
    if (typeof bounds !== 'object' || bounds === null) {
      problems.push(expected(`quality bounds ${format}`, 'an object with min and max', bounds));
      continue;
    }
    problems.push(...integerProblems(`quality bounds ${format} min`, bounds.min ?? NaN, 1, 100), ...integerProblems(`quality bounds ${format} max`, bounds.max ?? NaN, 1, 100));
    if (bounds.min > bounds.max) {
      problems.push(expected(`quality bounds ${format}`, `min at most max (${bounds.max})`, bounds.min));
    }
  }
  problems.push(
    ...integerProblems('quality probeWidth', quality.probeWidth ?? NaN, 16, MAX_DIMENSION),
    ...integerProblems('quality measurePixels', quality.measurePixels ?? NaN, 0, MAX_DIMENSION * MAX_DIMENSION),
    ...integerProblems('quality avifEffort', quality.avifEffort ?? NaN, 0, 9),
  );
  return problems;
}

/**
 * The formats the CDN may serve for a variant's negotiated URL, best first. Only formats made for every source
 * are listed: a PNG made only for transparent sources is reachable by its explicit URL, never by negotiation.
 */
export function negotiationOrder(variant: VariantSpec): OutputFormat[] {
  return NEGOTIATION_PREFERENCE.filter((format) => variant.formats.includes(format));
}

/**
 * Whether an animated upload gets an animated rendition of this variant: the `inside` variants that list WebP (the
 * one output format here that animates). `cover` variants (the thumbnail) stay stills: a page shows thumbnails by the
 * dozen, where dozens of animations cost the viewer CPU, bytes and attention, and a gallery that wants motion links
 * the thumbnail to a width variant.
 */
export function animates(variant: VariantSpec): boolean {
  return variant.fit === 'inside' && variant.formats.includes('webp');
}

/**
 * The formats the CDN may serve for the animated form of a variant (`<variant>-anim`), best first: the animated WebP,
 * then the still every browser takes (the last of `negotiationOrder`) as the poster.
 */
export function animatedNegotiationOrder(variant: VariantSpec): OutputFormat[] {
  const order = negotiationOrder(variant);
  return [...new Set<OutputFormat>(['webp', order[order.length - 1]])];
}

