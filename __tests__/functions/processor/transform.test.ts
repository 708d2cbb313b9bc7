/**
 * The sharp pipeline's own rules, on pixels made here: the JPEG of a transparent image shows the same crop as its
 * AVIF and WebP siblings, and sizes follow the variant's fit without upscaling.
 */
import sharp from 'sharp';
import { DEFAULT_PRESET } from '../../../lib/variants';
import { decodeScale, encode, variantSize } from '../../../functions/processor/transform';

/** Transparent everywhere but a red block on the right: a smart crop of the thumbnail should pick the block. */
function redBlockOnTransparent(width: number, height: number) {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 420; x < 560; x += 1) data.set([230, 0, 0, 255], (y * width + x) * 4);
  }
  return { data, width, height, channels: 4 as const };
}

async function redShare(image: Buffer): Promise<number> {
  const pixels = await sharp(image).removeAlpha().raw().toBuffer();
  let red = 0;
  for (let i = 0; i < pixels.length; i += 3) if (pixels[i] > 150 && pixels[i + 1] < 100) red += 1;
  return red / (pixels.length / 3);
}

test('the JPEG thumbnail of a transparent image is cropped like the AVIF and WebP ones, then flattened', async () => {
  const raw = redBlockOnTransparent(600, 200);
  const thumb = DEFAULT_PRESET.variants.find((variant) => variant.fit === 'cover')!;
  const shares = await Promise.all((['avif', 'webp', 'jpeg'] as const).map(async (format) => redShare((await encode(raw, thumb, format, DEFAULT_PRESET)).data)));
  expect(shares[1]).toBeGreaterThan(0.5);
  expect(Math.abs(shares[2] - shares[1])).toBeLessThan(0.05);
  expect(Math.abs(shares[0] - shares[1])).toBeLessThan(0.05);
});

test('variant sizes: inside keeps the aspect, cover keeps the box shape, nothing grows', () => {
  expect(variantSize({ name: 'w', width: 640, fit: 'inside', formats: ['webp'] }, 4000, 3000)).toEqual({ width: 640, height: 480 });
  expect(variantSize({ name: 'f', width: 2560, height: 2560, fit: 'inside', formats: ['webp'] }, 3000, 4000)).toEqual({ width: 1920, height: 2560 });
  expect(variantSize({ name: 'w', width: 640, fit: 'inside', formats: ['webp'] }, 300, 200)).toEqual({ width: 300, height: 200 });
  expect(variantSize({ name: 't', width: 256, height: 256, fit: 'cover', formats: ['webp'] }, 100, 50)).toEqual({ width: 50, height: 50 });
});

test('the single decode is as large as the largest variant needs, and no larger than the upload', () => {
  // Inside 2560 caps a 6000x4000 photo at 2560 wide; the 256 cover thumbnail needs less.
  expect(decodeScale(DEFAULT_PRESET, 6000, 4000)).toBeCloseTo(2560 / 6000);
  // A long panorama: the square thumbnail needs 256 px of height, more than the inside variants leave.
  expect(decodeScale(DEFAULT_PRESET, 20000, 500)).toBeCloseTo(256 / 500);
  expect(decodeScale(DEFAULT_PRESET, 800, 600)).toBe(1);
});
