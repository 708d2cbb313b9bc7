/**
 * Putting one upload into the upload bucket and deriving its image id from what S3 answered (version id, else
 * ETag) exactly as the processor does: `imgopt upload` and the local console's upload both go through here.
 */
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { INPUT_EXTENSIONS, INPUT_FORMATS, InputFormat } from '../lib/formats';
import { deriveImageId } from '../lib/keys';
import type { Target } from './target';

const FORMAT_BY_EXTENSION = new Map<string, InputFormat>(
  INPUT_FORMATS.flatMap((format) => INPUT_EXTENSIONS[format].map((extension) => [extension, format] as [string, InputFormat])),
);

/** The extensions that make an upload, for messages: `.jpg, .jpeg, .png, ...`. */
export const UPLOAD_EXTENSIONS_TEXT = INPUT_FORMATS.flatMap((format) => INPUT_EXTENSIONS[format]).map((e) => `.${e}`).join(', ');

/** The Content-Type an upload with this file name is stored with, or undefined when the name is not an image's. */
export function uploadContentType(fileName: string): string | undefined {
  const format = FORMAT_BY_EXTENSION.get(path.extname(fileName).slice(1).toLowerCase());
  // The MIME type of each input format is image/<format>: image/jpeg, image/png, image/webp, image/gif, image/avif, image/tiff.
  return format ? `image/${format}` : undefined;
}

/** Puts the bytes at `key` in the upload bucket; resolves with the image id the processor will give them. */
export async function putUpload(target: Target, key: string, body: Uint8Array, contentType: string): Promise<string> {
  const answer = await target.s3.send(new PutObjectCommand({
    Bucket: target.uploadBucket,
    Key: key,
    Body: body,
    ContentType: contentType,
  }));
  return deriveImageId({ bucket: target.uploadBucket, key, versionId: answer.VersionId, etag: answer.ETag });
}
