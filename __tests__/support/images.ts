/**
 * Test images made with real sharp at test time (no image is committed): photo-like content, transparency, CMYK,
 * 16-bit, EXIF orientations, animation, and broken or hostile files.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Deterministic pseudo-random bytes (a photo's sensor noise, without Math.random). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A photo-like image: smooth gradients, shapes and fine noise, `width` x `height`, 3 channels, raw. */
export function photoPixels(width: number, height: number, seed = 7): Buffer {
  const data = Buffer.alloc(width * height * 3);
  const grain = noise(width * height, seed);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      const g = grain[y * width + x] / 255 - 0.5;
      const sky = y / height;
      const sun = Math.max(0, 1 - Math.hypot(x - width * 0.7, y - height * 0.3) / (0.25 * Math.min(width, height)));
      data[i] = Math.min(255, Math.max(0, 60 + 140 * sky + 120 * sun + 8 * g));
      data[i + 1] = Math.min(255, Math.max(0, 90 + 80 * Math.sin(x / 37) * sky + 90 * sun + 8 * g));
      data[i + 2] = Math.min(255, Math.max(0, 200 - 120 * sky + 20 * Math.cos(y / 23) + 8 * g));
    }
  }
  return data;
}

export function photoJpeg(width: number, height: number, options: { quality?: number; seed?: number } = {}): Promise<Buffer> {
  return sharp(photoPixels(width, height, options.seed), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: options.quality ?? 92 })
    .toBuffer();
}

/** A PNG with a fully transparent border and a half-transparent disc in the middle. */
export function transparentPng(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4;
      const inside = Math.hypot(x - width / 2, y - height / 2) < Math.min(width, height) / 3;
      data[i] = 220; data[i + 1] = 30; data[i + 2] = 60;
      data[i + 3] = inside ? 128 : 0;
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

export function cmykJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(photoPixels(width, height), { raw: { width, height, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer();
}

export function png16(width: number, height: number): Promise<Buffer> {
  return sharp(photoPixels(width, height), { raw: { width, height, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
}

/** A JPEG carrying EXIF (with a copyright and GPS position), XMP and an ICC profile that no output may keep. */
export function jpegWithMetadata(width: number, height: number): Promise<Buffer> {
  return sharp(photoPixels(width, height), { raw: { width, height, channels: 3 } })
    .withIccProfile('p3')
    .withExif({ IFD0: { Copyright: 'SECRET-COPYRIGHT', Artist: 'SECRET-ARTIST' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } })
    .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>SECRET-XMP</rdf:Description></rdf:RDF></x:xmpmeta>')
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The upright test card: four coloured quadrants, so any wrong rotation or mirror shows. */
export const QUADRANTS = {
  topLeft: [230, 20, 20],
  topRight: [20, 200, 20],
  bottomLeft: [20, 20, 230],
  bottomRight: [240, 220, 20],
} as const;

export function quadrantPixels(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const colour = y < height / 2 ? (x < width / 2 ? QUADRANTS.topLeft : QUADRANTS.topRight) : (x < width / 2 ? QUADRANTS.bottomLeft : QUADRANTS.bottomRight);
      data.set(colour, (y * width + x) * 3);
    }
  }
  return data;
}

/**
 * A JPEG whose stored pixels, displayed with EXIF orientation `orientation`, show the upright quadrant card of
 * `width` x `height`. The stored pixels are the upright card transformed by the inverse of what each tag means
 * (EXIF 2.32, tag 0x0112): 2 mirrored, 3 rotated 180, 4 flipped, 5 transposed, 6 rotated 90 anticlockwise,
 * 7 transversed, 8 rotated 90 clockwise.
 */
export async function orientedJpeg(orientation: number, width: number, height: number): Promise<Buffer> {
  const upright = await sharp(quadrantPixels(width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
  // One operation per pipeline: within one pipeline sharp mirrors before it rotates, whatever the call order.
  const rotate = async (image: Buffer, angle: number) => sharp(image).rotate(angle).png().toBuffer();
  const flop = async (image: Buffer) => sharp(image).flop().png().toBuffer();
  const stored: Record<number, () => Promise<Buffer>> = {
    1: async () => upright,
    2: () => flop(upright),
    3: () => rotate(upright, 180),
    4: () => sharp(upright).flip().png().toBuffer(),
    5: async () => flop(await rotate(upright, 90)), // transpose: (x, y) -> (y, x)
    6: () => rotate(upright, 270),
    7: async () => flop(await rotate(upright, 270)), // transverse
    8: () => rotate(upright, 90),
  };
  const pixels = await stored[orientation]();
  return sharp(pixels).withMetadata({ orientation }).jpeg({ quality: 95 }).toBuffer();
}

/** An animated GIF of `frames` frames, each a different colour. */
export function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * frames * 4);
  for (let f = 0; f < frames; f += 1) {
    for (let i = 0; i < width * height; i += 1) {
      data.set([(f * 40) % 256, 120, 255 - ((f * 40) % 256), 255], (f * width * height + i) * 4);
    }
  }
  return sharp(data, { raw: { width, height: height * frames, channels: 4, pageHeight: height } }).gif({ loop: 0 }).toBuffer();
}

/** A valid PNG header that claims `width` x `height`, with a tiny compressed body: a decompression bomb's shape. */
export function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const crcInput = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(crcInput));
    return Buffer.concat([length, crcInput, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; header[9] = 2; // 8-bit RGB
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>');
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
/** The start of an iPhone HEIC: an ftyp box with the `heic` brand. */
export const HEIC = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
