/**
 * The output key layout and the URL shapes, in one place.
 *
 * An optimized object lives at `<format>/<image_id>/<variant>.<ext>` in that format's bucket, and the CDN serves it
 * at the same path (`https://<cdn>/webp/ab12cd.../640.webp`), so a CDN path and an S3 key never disagree.
 * The negotiated URL `https://<cdn>/images/<image_id>/<variant>` is rewritten at the edge to one of those paths.
 * An animated upload's negotiated URL names the variant with `ANIMATED_SUFFIX` (`/images/<image_id>/640-anim`): the
 * edge rewrites it to the animated WebP for a browser that takes WebP and to a still otherwise, with no lookup.
 */
import { createHash } from 'node:crypto';
import { OUTPUT_FORMAT_INFO, OutputFormat, isOutputFormat } from './formats';

/** First path segment of negotiated URLs. */
export const NEGOTIATED_PREFIX = 'images';

/** Image ids are 24 lower-case hex characters (96 bits of a SHA-256). */
export const IMAGE_ID_PATTERN = /^[0-9a-f]{24}$/;

export interface SourceObject {
  readonly bucket: string;
  /** The object key, already URL-decoded. */
  readonly key: string;
  /** The object's version id, when the bucket is versioned. */
  readonly versionId?: string;
  /** The object's ETag (used when there is no version id). */
  readonly etag?: string;
}

/**
 * Derives the image id from the object's identity, so a duplicate delivery of the same event maps to the same id
 * (and the same output keys), while overwriting the key (a new version or ETag) yields a new id and new URLs.
 */
export function deriveImageId(source: SourceObject): string {
  const revision = source.versionId || source.etag?.replace(/"/g, '');
  if (!revision) {
    throw new Error(`Cannot derive an image id for s3://${source.bucket}/${source.key}: it has neither a version id nor an ETag`);
  }
  return createHash('sha256')
    .update([source.bucket, source.key, revision].join('\n'))
    .digest('hex')
    .slice(0, 24);
}

/** S3 key (and CDN path without the leading slash) of one variant in one format. */
export function outputKey(format: OutputFormat, imageId: string, variant: string): string {
  return `${format}/${imageId}/${variant}.${OUTPUT_FORMAT_INFO[format].extension}`;
}

/** CDN path of one variant in one format. */
export function explicitPath(format: OutputFormat, imageId: string, variant: string): string {
  return `/${outputKey(format, imageId, variant)}`;
}

/**
 * Marks a negotiated variant as the animated one. The image id stays derived from the upload alone, so the choice
 * cannot live in the id: it lives in the variant segment, which the edge function reads without any origin lookup.
 * No preset variant may end with it (lib/variants.ts refuses such names).
 */
export const ANIMATED_SUFFIX = '-anim';

/**
 * CDN path whose format the edge picks from the browser's Accept header; `animated` names the animated form of the
 * variant (animated WebP, or a still for a browser without WebP).
 */
export function negotiatedPath(imageId: string, variant: string, animated = false): string {
  return `/${NEGOTIATED_PREFIX}/${imageId}/${variant}${animated ? ANIMATED_SUFFIX : ''}`;
}

/** The CDN path pattern that routes to one format's origin, e.g. `/webp/*`. */
export function formatPathPattern(format: OutputFormat): string {
  return `/${format}/*`;
}

export interface ParsedOutputKey {
  readonly format: OutputFormat;
  readonly imageId: string;
  readonly variant: string;
}

/** Reads an output key (or CDN path) back into its parts; undefined when it is not in the layout. */
export function parseOutputKey(keyOrPath: string): ParsedOutputKey | undefined {
  const match = /^\/?([a-z]+)\/([0-9a-f]{24})\/([a-z0-9-]+)\.([a-z]+)$/.exec(keyOrPath);
  if (!match) return undefined;
  const [, format, imageId, variant, extension] = match;
  if (!isOutputFormat(format) || OUTPUT_FORMAT_INFO[format].extension !== extension) return undefined;
  return { format, imageId, variant };
}
