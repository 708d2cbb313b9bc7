/**
 * `npm run quality -- <reference> <distorted>`: the SSIMULACRA 2.1 score of two image files, printed alone on one
 * line like the reference tool. Any format sharp reads; both decoded upright as 8-bit sRGB, alpha kept, so the
 * metric blends a transparent pair onto the same backgrounds the reference tool uses.
 */
import * as fs from 'node:fs';
import sharp from 'sharp';
import { Image8, ssimulacra2 } from '../lib/ssimulacra2';

const USAGE = 'Usage: npm run quality -- <reference image> <distorted image>';

/** One image file as the metric reads it: upright 8-bit sRGB, RGB or RGBA. */
export async function readImage8(file: string): Promise<Image8> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  let decoded;
  try {
    decoded = await sharp(file, { failOn: 'error' }).autoOrient().toColourspace('srgb')
      .raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new Error(`${file}: not an image sharp can read (${(error as Error).message})`);
  }
  const { data, info } = decoded;
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`${file}: expected RGB or RGBA after conversion to sRGB but received ${info.channels} channels`);
  return { data, width: info.width, height: info.height, channels: info.channels };
}

async function main(args: string[]): Promise<number> {
  if (args.length !== 2 || args.some((arg) => arg.startsWith('-'))) {
    process.stderr.write(`quality: expected two image files\n${USAGE}\n`);
    return 2;
  }
  try {
    const [reference, distorted] = await Promise.all(args.map(readImage8));
    if (reference.width !== distorted.width || reference.height !== distorted.height) {
      throw new Error(`the images differ in size: ${reference.width}x${reference.height} and ${distorted.width}x${distorted.height}`);
    }
    process.stdout.write(`${ssimulacra2(reference, distorted).toFixed(8)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`quality: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
