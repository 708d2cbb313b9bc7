/**
 * The image formats the pipeline reads and writes.
 *
 * Input formats are decided from the bytes, never from the extension; the extensions here only decide which
 * uploads trigger the processor (S3 suffix filters are case-sensitive, so every letter-case spelling is listed).
 */

/** Formats accepted as uploads. */
export const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** File extensions (lower case, without the dot) that trigger processing, per input format. */
export const INPUT_EXTENSIONS: Readonly<Record<InputFormat, readonly string[]>> = {
  jpeg: ['jpg', 'jpeg'],
  png: ['png'],
  webp: ['webp'],
  gif: ['gif'],
  avif: ['avif'],
  tiff: ['tif', 'tiff'],
};

/** Formats the pipeline writes, one private bucket and one CDN origin each. */
export const OUTPUT_FORMATS = ['avif', 'webp', 'jpeg', 'png'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputFormatInfo {
  /** Extension of the object key, without the dot. */
  readonly extension: string;
  /** Content-Type stored on the object and served by the CDN. */
  readonly contentType: string;
}

export const OUTPUT_FORMAT_INFO: Readonly<Record<OutputFormat, OutputFormatInfo>> = {
  avif: { extension: 'avif', contentType: 'image/avif' },
  webp: { extension: 'webp', contentType: 'image/webp' },
  jpeg: { extension: 'jpg', contentType: 'image/jpeg' },
  png: { extension: 'png', contentType: 'image/png' },
};

/**
 * How full chroma is encoded, per lossy format that falls back to it where 4:2:0 cannot reach the quality target
 * (functions/processor/targeting.ts `FULL_CHROMA_FORMATS`): JPEG without chroma subsampling, WebP with sharp YUV
 * conversion. Shown after the quality by `imgopt upload`, `imgopt status` and the console (`quality 83 4:4:4`).
 */
export const FULL_CHROMA_LABEL: Readonly<Partial<Record<OutputFormat, string>>> = { jpeg: '4:4:4', webp: 'sharp YUV' };

/** The quality setting as shown: `83`, or `83 4:4:4` where the rendition was encoded with full chroma. */
export function qualityLabel(format: string, quality: number, fullChroma: boolean | undefined): string {
  const chroma = fullChroma && isOutputFormat(format) ? FULL_CHROMA_LABEL[format] : undefined;
  return chroma ? `${quality} ${chroma}` : `${quality}`;
}

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/**
 * Every letter-case spelling of `.ext`: `.jpg`, `.jpG`, ..., `.JPG`.
 *
 * @example caseVariants('gif') // ['.gif', '.giF', '.gIf', ... '.GIF'] (8 entries)
 */
export function caseVariants(extension: string): string[] {
  const letters = [...extension.toLowerCase()];
  let spellings = [''];
  for (const letter of letters) {
    const upper = letter.toUpperCase();
    const choices = upper === letter ? [letter] : [letter, upper];
    spellings = spellings.flatMap((prefix) => choices.map((choice) => prefix + choice));
  }
  return spellings.map((spelling) => `.${spelling}`);
}

/** Every key suffix that triggers processing, in every letter case, sorted for a stable plan. */
export function uploadSuffixes(): string[] {
  const extensions = INPUT_FORMATS.flatMap((format) => INPUT_EXTENSIONS[format]);
  return extensions.flatMap(caseVariants).sort();
}
