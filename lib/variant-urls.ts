/**
 * The URLs of an image's variants on the CDN, from the shared key layout (lib/keys.ts): read by the command line,
 * the console and the processor's outcome notifications (lib/outcomes.ts), so all three name the same URLs.
 */
import { OutputFormat, isOutputFormat } from './formats';
import { explicitPath, negotiatedPath } from './keys';
import type { ImageRecord, ScoreSource, VariantRecord } from './metadata';

export interface VariantUrls {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /**
   * The URL whose format the CDN picks from the Accept header: for a variant with an animated rendition, its
   * animated form (`<variant>-anim`: the animated WebP, or a still for a browser without WebP).
   */
  readonly negotiatedUrl: string;
  /** Frames of the variant's animated rendition; absent when every rendition is a still. */
  readonly frames?: number;
  readonly formats: ReadonlyArray<{
    readonly format: OutputFormat;
    readonly bytes: number;
    readonly url: string;
    readonly key: string;
    readonly animated: boolean;
    readonly quality?: number;
    readonly score?: number;
    readonly score_source?: ScoreSource;
    readonly full_chroma?: boolean;
  }>;
}

/** An image's variants grouped by name (in the order they were made), with every URL. */
export function variantUrls(cdnUrl: string, record: ImageRecord): VariantUrls[] {
  const byName = new Map<string, VariantRecord[]>();
  for (const variant of record.variants ?? []) byName.set(variant.name, [...(byName.get(variant.name) ?? []), variant]);
  return [...byName].map(([name, variants]) => {
    const animated = variants.find((variant) => variant.animated === true);
    return {
      name,
      width: variants[0].width,
      height: variants[0].height,
      negotiatedUrl: `${cdnUrl}${negotiatedPath(record.image_id, name, animated !== undefined)}`,
      ...(animated ? { frames: animated.frames } : {}),
      formats: variants
        .filter((variant) => isOutputFormat(variant.format))
        .map((variant) => ({
          format: variant.format as OutputFormat,
          bytes: variant.bytes,
          key: variant.key,
          url: `${cdnUrl}${explicitPath(variant.format as OutputFormat, record.image_id, name)}`,
          animated: variant.animated === true,
          ...(variant.quality !== undefined ? { quality: variant.quality } : {}),
          ...(variant.score !== undefined ? { score: variant.score, score_source: variant.score_source } : {}),
          ...(variant.full_chroma ? { full_chroma: true } : {}),
        })),
    };
  });
}

