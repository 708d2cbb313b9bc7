/** Reads an object from an origin's bucket as S3 answers CloudFront: the object, 206, 304, or S3's error. */
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { EdgeValue } from '../../lib/edge-function';
import type { OriginConfig } from '../distribution';
import { Reply, edgeError, s3Error } from './reply';

/** Reads `uri` from the origin's bucket; `headers` are the viewer's (Range, If-None-Match, If-Modified-Since). */
export async function readOrigin(
  s3: S3Client,
  origin: OriginConfig,
  uri: string,
  method: string,
  headers: Record<string, EdgeValue>,
  defaultRootObject: string | undefined,
): Promise<Reply> {
  const key = objectKey(origin, uri, defaultRootObject);
  const base = { source: 'origin' as const, origin: origin.id, key: key ?? uri };
  if (key === undefined) return { ...base, ...s3Error(400, 'InvalidURI', "Couldn't parse the specified URI.", method) };
  // S3 answers a request for the bucket itself with a listing, which Origin Access Control (GetObject only) refuses.
  if (key === '') return { ...base, ...s3Error(403, 'AccessDenied', 'Access Denied', method) };
  const range = headers.range?.value;
  let object;
  try {
    object = method === 'HEAD'
      ? await s3.send(new HeadObjectCommand({ Bucket: origin.bucket, Key: key }))
      : await s3.send(new GetObjectCommand({ Bucket: origin.bucket, Key: key, Range: range }));
  } catch (error) {
    if (!(error instanceof S3ServiceException) || error.$metadata.httpStatusCode === undefined) {
      return { ...base, ...edgeError(502, "CloudFront wasn't able to connect to the origin.", `${origin.bucket}: ${(error as Error).message}`) };
    }
    const status = error.$metadata.httpStatusCode;
    // Without s3:ListBucket, which Origin Access Control does not grant, S3 hides whether a key exists.
    if (origin.privateAccess && status === 404 && (error.name === 'NoSuchKey' || error.name === 'NotFound')) {
      return { ...base, ...s3Error(403, 'AccessDenied', 'Access Denied', method) };
    }
    return { ...base, ...s3Error(status, error.name, error.message, method) };
  }

  const body = 'Body' in object ? (object.Body as Readable | undefined) : undefined;
  const replyHeaders: Record<string, string | string[]> = {};
  const set = (name: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') replyHeaders[name] = String(value);
  };
  set('content-type', object.ContentType);
  set('content-length', object.ContentLength);
  set('content-range', 'ContentRange' in object ? object.ContentRange : undefined);
  set('cache-control', object.CacheControl);
  set('content-encoding', object.ContentEncoding);
  set('content-disposition', object.ContentDisposition);
  set('content-language', object.ContentLanguage);
  set('expires', object.ExpiresString);
  set('etag', object.ETag);
  set('last-modified', object.LastModified?.toUTCString());
  set('accept-ranges', object.AcceptRanges ?? 'bytes');
  for (const [name, value] of Object.entries(object.Metadata ?? {})) set(`x-amz-meta-${name.toLowerCase()}`, value);

  if (notModified(headers, object.ETag, object.LastModified)) {
    body?.destroy();
    const kept = ['etag', 'cache-control', 'last-modified', 'expires'];
    return { ...base, status: 304, headers: Object.fromEntries(Object.entries(replyHeaders).filter(([name]) => kept.includes(name))), cache: 'Miss' };
  }
  const partial = method === 'GET' && 'ContentRange' in object && object.ContentRange !== undefined;
  return { ...base, status: partial ? 206 : 200, headers: replyHeaders, body, cache: 'Miss' };
}

/** The key an origin request for `uri` reads: percent-decoded, after the origin path; undefined when undecodable. */
function objectKey(origin: OriginConfig, uri: string, defaultRootObject: string | undefined): string | undefined {
  const path = uri === '/' && defaultRootObject ? `/${defaultRootObject.replace(/^\/+/, '')}` : uri;
  let key: string;
  try {
    key = decodeURIComponent(path.replace(/^\//, ''));
  } catch {
    return undefined;
  }
  return origin.originPath && key ? `${origin.originPath}/${key}` : key;
}

/** If-None-Match (weak comparison, `*`), else If-Modified-Since, as a cache answering a conditional GET does. */
function notModified(headers: Record<string, EdgeValue>, etag: string | undefined, lastModified: Date | undefined): boolean {
  const noneMatch = headers['if-none-match']?.value;
  if (noneMatch !== undefined) {
    if (etag === undefined) return false;
    const bare = (tag: string) => tag.trim().replace(/^W\//, '');
    return noneMatch.trim() === '*' || noneMatch.split(',').some((tag) => bare(tag) === bare(etag));
  }
  const since = headers['if-modified-since']?.value;
  if (since === undefined || lastModified === undefined) return false;
  const date = Date.parse(since);
  return !Number.isNaN(date) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(date / 1000);
}
