/**
 * The variant preset: which renditions are made of every upload, in which formats, with which encoder settings.
 *
 * This is the one place that decides it. The processor function encodes exactly these variants, the CDN's
 * format-negotiation function is generated from them (so it never points at a variant that is not made), and the
 * local runtime and the command line list URLs from them.
 */
import { OUTPUT_FORMATS, OutputFormat } from './formats';
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

export interface VariantPreset {
  readonly variants: readonly VariantSpec[];
  readonly png: PngPolicy;
  readonly encoders: EncoderSettings;
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
  background: '#ffffff',
};

/** A per-environment change to a preset; fields left out keep the base preset's value. */
export interface PresetOverride {
  readonly variants?: readonly VariantSpec[];
  readonly png?: PngPolicy;
  readonly encoders?: { readonly [F in keyof EncoderSettings]?: Partial<EncoderSettings[F]> };
  readonly background?: string;
}

export function overridePreset(base: VariantPreset, override: PresetOverride = {}): VariantPreset {
  const encoders = override.encoders ?? {};
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
  };
}

const VARIANT_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
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
  if (!/^#[0-9a-fA-F]{6}$/.test(preset.background)) {
    problems.push(expected('background', 'a colour like #ffffff', preset.background));
  }
  return problems;
}

/**
 * The formats the CDN may serve for a variant's negotiated URL, best first. Only formats made for every source
 * are listed: a PNG made only for transparent sources is reachable by its explicit URL, never by negotiation.
 */
export function negotiationOrder(variant: VariantSpec): OutputFormat[] {
  return NEGOTIATION_PREFERENCE.filter((format) => variant.formats.includes(format));
}

