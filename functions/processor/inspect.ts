/**
 * Deciding what an upload is from its bytes (never its extension or Content-Type), and refusing what must not be
 * decoded: empty, truncated, unsupported, over the byte, pixel or frame limits. Every refusal is a
 * `PermanentFailure` with its reason code.
 */
import sharp from 'sharp';
import { PermanentFailure } from '../../lib/failures';
import { InputFormat } from '../../lib/formats';
import { InputLimits } from './limits';

export type Sniffed =
  | { readonly kind: 'image'; readonly format: InputFormat; readonly lossless: boolean }
  | { readonly kind: 'refused'; readonly reason: 'SVG_NOT_SUPPORTED' | 'PDF_NOT_SUPPORTED' | 'HEIC_NOT_SUPPORTED' | 'UNKNOWN_FORMAT' };

const ascii = (bytes: Uint8Array, start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1');

/** The format the bytes start with. */
export function sniffFormat(bytes: Uint8Array): Sniffed {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { kind: 'image', format: 'jpeg', lossless: false };
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return { kind: 'image', format: 'png', lossless: true };
  if (/^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return { kind: 'image', format: 'gif', lossless: true };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    // VP8L is the lossless bitstream; an extended (VP8X) file says so in the chunk that follows.
    return { kind: 'image', format: 'webp', lossless: ascii(bytes, 12, 16) === 'VP8L' || ascii(bytes, 0, 64).includes('VP8L') };
  }
  const tiffHeader = ascii(bytes, 0, 4);
  if (tiffHeader === 'II*\0' || tiffHeader === 'MM\0*') return { kind: 'image', format: 'tiff', lossless: false };
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const boxSize = Buffer.from(bytes.subarray(0, 4)).readUInt32BE(0);
    const brands = ascii(bytes, 8, Math.min(Math.max(boxSize, 16), 64));
    if (/avi[fs]/.test(brands)) return { kind: 'image', format: 'avif', lossless: false };
    if (/hei[cxms]|hev[cxms]|mif1|msf1/.test(brands)) return { kind: 'refused', reason: 'HEIC_NOT_SUPPORTED' };
    return { kind: 'refused', reason: 'UNKNOWN_FORMAT' };
  }
  if (ascii(bytes, 0, 5) === '%PDF-') return { kind: 'refused', reason: 'PDF_NOT_SUPPORTED' };
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^<(\?xml|svg|!DOCTYPE svg|!--)/i.test(head) && /<svg[\s>]/i.test(head)) return { kind: 'refused', reason: 'SVG_NOT_SUPPORTED' };
  return { kind: 'refused', reason: 'UNKNOWN_FORMAT' };
}

/**
 * Whether the file ends where its format says it does. libvips decodes a JPEG cut short as grey rows rather than
 * failing, so the end markers are checked here: a truncated upload fails as TRUNCATED_INPUT, not as a grey image.
 */
export function isTruncated(bytes: Uint8Array, format: InputFormat): boolean {
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 64)));
  switch (format) {
    case 'jpeg':
      // EOI (FF D9), possibly followed by padding some cameras append.
      return !tail.includes(Buffer.from([0xff, 0xd9]));
    case 'png':
      return !tail.includes(Buffer.from('IEND', 'latin1'));
    case 'gif':
      return !tail.includes(0x3b);
    case 'webp': {
      const declared = Buffer.from(bytes.subarray(4, 8)).readUInt32LE(0) + 8;
      return bytes.length < declared;
    }
    default:
      return false;
  }
}

export interface Inspection {
  readonly format: InputFormat;
  readonly lossless: boolean;
  /** Upright dimensions (EXIF orientation applied). */
  readonly width: number;
  readonly height: number;
  /** Stored dimensions, as the decoder sees them before orientation. */
  readonly storedWidth: number;
  readonly storedHeight: number;
  readonly orientation: number;
  readonly alpha: boolean;
  readonly frames: number;
  /** Delay of each frame in milliseconds, as the file stores it (animated GIF and WebP only). */
  readonly delays?: readonly number[];
  /** Times the animation plays, 0 = forever (animated GIF and WebP only). */
  readonly loop?: number;
}

/**
 * Checks an upload's bytes against the limits and reads its header; throws `PermanentFailure` for bad input. The
 * byte limit is not checked here: `processUpload` refuses an upload over it from its size alone, before reading it
 * (the bytes read are that same object: `readUpload` checks its version or ETag).
 */
export async function inspect(bytes: Uint8Array, limits: InputLimits): Promise<Inspection> {
  if (bytes.length === 0) throw new PermanentFailure('EMPTY_INPUT');
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === 'refused') throw new PermanentFailure(sniffed.reason);
  if (isTruncated(bytes, sniffed.format)) {
    throw new PermanentFailure('TRUNCATED_INPUT', `the ${sniffed.format.toUpperCase()} data ends before the image does`);
  }

  let metadata: sharp.Metadata;
  try {
    // Header only: no pixels are decoded here, so a pixel bomb costs nothing to refuse.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw decodeFailure(error, sniffed.format);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new PermanentFailure('CORRUPT_INPUT', `the ${sniffed.format.toUpperCase()} header has no dimensions`);
  const frames = metadata.pages ?? 1;
  const pixels = width * (metadata.pageHeight ?? height);
  if (pixels > limits.maxPixels) {
    throw new PermanentFailure('TOO_MANY_PIXELS', `the image is ${width}x${metadata.pageHeight ?? height} (${pixels} pixels); the limit is ${limits.maxPixels}`);
  }
  if (frames > limits.maxFrames) {
    throw new PermanentFailure('TOO_MANY_FRAMES', `the animation has ${frames} frames; the limit is ${limits.maxFrames}`);
  }
  const orientation = metadata.orientation ?? 1;
  const storedHeight = metadata.pageHeight ?? height;
  const swap = orientation >= 5;
  return {
    format: sniffed.format,
    lossless: sniffed.lossless,
    width: swap ? storedHeight : width,
    height: swap ? width : storedHeight,
    storedWidth: width,
    storedHeight,
    orientation,
    alpha: metadata.hasAlpha === true,
    frames,
    ...(frames > 1 && metadata.delay ? { delays: metadata.delay, loop: metadata.loop ?? 0 } : {}),
  };
}

/** A decoder error as a permanent failure: cut-short data is TRUNCATED_INPUT, anything else CORRUPT_INPUT. */
export function decodeFailure(error: unknown, format: string): PermanentFailure {
  const message = (error as Error).message ?? String(error);
  const detail = message.split('\n')[0].slice(0, 300);
  if (/premature end|truncated|end of (stream|file|input|data)|unexpected end|not enough data|short read|read error/i.test(message)) {
    return new PermanentFailure('TRUNCATED_INPUT', `the ${format.toUpperCase()} data ends early: ${detail}`);
  }
  return new PermanentFailure('CORRUPT_INPUT', `the ${format.toUpperCase()} data cannot be decoded: ${detail}`);
}
