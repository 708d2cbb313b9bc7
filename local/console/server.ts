/**
 * The local console: a web page on loopback, beside the local edge (never under the edge's paths, which stay exactly
 * what CloudFront serves), that shows every upload, its renditions and their quality, the failure queue, and the
 * markup to use an image; and takes uploads. `npm start` runs it (local/runtime.ts).
 *
 * The server is a small JSON API over the same code the command line uses (cli/images.ts reads the table,
 * cli/put-upload.ts puts uploads, cli/failure-replay.ts re-drives the queue, lib/picture-markup.ts writes the
 * markup); the page (local/console/page/) is plain TypeScript that esbuild compiles once at start, and it polls the
 * API, so uploads show up as they finish without a reload.
 *
 * Only loopback can reach it, and only by a loopback host name (a page elsewhere cannot rebind a name of its own to
 * 127.0.0.1 and read it); requests that change something need the `x-imgopt-console` header, which a page on
 * another origin cannot send without a CORS preflight this server never grants. The page is served with a
 * Content-Security-Policy that allows no inline script, and renders every key and message as text.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { buildSync } from 'esbuild';
import { OUTPUT_FORMAT_INFO } from '../../lib/formats';
import { IMAGE_ID_PATTERN, negotiatedPath } from '../../lib/keys';
import { IMAGE_STATUSES, ImageRecord } from '../../lib/metadata';
import { escapeHtml, markupProblem, pictureMarkup } from '../../lib/picture-markup';
import { VariantPreset, animatedNegotiationOrder, negotiationOrder } from '../../lib/variants';
import { replayFailures } from '../../cli/failure-replay';
import { getImage, imagesWithStatus, variantUrls } from '../../cli/images';
import { UPLOAD_EXTENSIONS_TEXT, putUpload, uploadContentType } from '../../cli/put-upload';
import type { LocalTarget } from '../../cli/target';
import { listFailureMessages, messageImageIds } from '../failure-queue';
import type { ConsoleFailure, ConsoleImage, ConsoleOverview, ConsoleRow } from './api';

/** The console's port unless told otherwise: the one after the edge's default 8787. */
export const DEFAULT_CONSOLE_PORT = 8788;

/** Rows on the first page: the newest of each status, merged. */
const RECENT_LIMIT = 60;

/** The largest upload the console takes in one request: above the processor's own byte limit, below a memory problem. */
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

/** Header that requests changing something must carry (see the file comment). */
export const CONSOLE_HEADER = 'x-imgopt-console';

export interface ConsoleOptions {
  /** What the console reads and writes: the local runtime's buckets, table, queue and function. */
  readonly target: LocalTarget;
  /** The preset the function runs: which formats the edge negotiates for each variant. */
  readonly preset: VariantPreset;
  /** @default 0 (any free port) */
  readonly port?: number;
}

export interface LocalConsole {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the console. Rejects with `port N is in use` when the port is taken. */
export async function startConsole(options: ConsoleOptions): Promise<LocalConsole> {
  const assets = buildPage();
  const requested = options.port ?? 0;
  let port = requested;
  const accepts = new Map<string, string>();
  const server = http.createServer((req, res) => {
    void handle(req, res, { target: options.target, preset: options.preset, assets, port, accepts }).catch((error: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: error.message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${requested} is in use`) : error));
    server.listen(requested, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

interface Assets {
  readonly script: string;
  readonly style: string;
}

/** The page's script, bundled from TypeScript once per start (tens of milliseconds), and its style sheet. */
function buildPage(): Assets {
  const dir = path.join(__dirname, 'page');
  const result = buildSync({
    entryPoints: [path.join(dir, 'app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    logLevel: 'silent',
  });
  const css = buildSync({ entryPoints: [path.join(dir, 'app.css')], bundle: true, write: false, logLevel: 'silent' });
  return { script: result.outputFiles[0].text, style: css.outputFiles[0].text };
}

interface Context {
  readonly target: LocalTarget;
  readonly preset: VariantPreset;
  readonly assets: Assets;
  readonly port: number;
  /** The Accept header this browser sent for an image, by the probe's nonce (see /api/accept-probe). */
  readonly accepts: Map<string, string>;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, context: Context): Promise<void> {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${context.port}` && host !== `localhost:${context.port}`) {
    sendText(res, 421, `the console answers only at http://127.0.0.1:${context.port}`);
    return;
  }
  const url = new URL(req.url ?? '/', `http://${host}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const route = url.pathname;
  const { target } = context;

  if (method === 'GET' && (route === '/' || /^\/image\/[0-9a-f]{24}$/.test(route))) {
    sendPage(res, target);
    return;
  }
  if (method === 'GET' && route === '/favicon.ico') {
    res.writeHead(204);
    res.end();
    return;
  }
  if (method === 'GET' && route === '/app.js') return sendAsset(res, 'text/javascript; charset=utf-8', context.assets.script);
  if (method === 'GET' && route === '/app.css') return sendAsset(res, 'text/css; charset=utf-8', context.assets.style);
  if (method === 'GET' && route === '/api/overview') return sendJson(res, 200, await overview(target));
  if (method === 'GET' && route === '/api/accept-probe') {
    const nonce = url.searchParams.get('n') ?? '';
    if (url.searchParams.has('read')) return sendJson(res, 200, { accept: context.accepts.get(nonce) ?? null });
    if (context.accepts.size > 100) context.accepts.clear();
    context.accepts.set(nonce, req.headers.accept ?? '');
    res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' });
    res.end(TRANSPARENT_GIF);
    return;
  }
  const image = /^\/api\/images\/([^/]+)(\/original)?$/.exec(route);
  if (method === 'GET' && image) {
    const id = image[1];
    if (!IMAGE_ID_PATTERN.test(id)) return sendJson(res, 400, { error: `${JSON.stringify(id)} is not an image id` });
    const record = await getImage(target, id);
    if (!record) return sendJson(res, 404, { error: `no image ${id} in ${target.table}` });
    if (image[2]) return sendOriginal(res, target, record);
    return sendJson(res, 200, imageDetails(target, context.preset, record));
  }

  const mutating = (method === 'POST' && route === '/api/replay') || (method === 'PUT' && route.startsWith('/api/uploads/'));
  if (mutating && req.headers[CONSOLE_HEADER] !== '1') {
    sendJson(res, 403, { error: `requests that change something need the ${CONSOLE_HEADER} header (the console page sends it)` });
    return;
  }
  if (method === 'POST' && route === '/api/replay') {
    const body = await readBody(req, 64 * 1024);
    let ids: unknown;
    try {
      ids = body && body.length > 0 ? (JSON.parse(body.toString('utf8')) as { ids?: unknown }).ids : undefined;
    } catch {
      return sendJson(res, 400, { error: 'the replay request is not JSON ({"ids": [...]} or nothing for all)' });
    }
    const messageIds = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : undefined;
    return sendJson(res, 200, { results: await replayFailures(target, { messageIds }) });
  }
  if (method === 'PUT' && route.startsWith('/api/uploads/')) return receiveUpload(req, res, target, route.slice('/api/uploads/'.length));
  sendJson(res, 404, { error: `nothing at ${method} ${route}` });
}

/**
 * The quality fields the processor records on a rendition where it measures them (agreed names: the encoder's
 * quality setting, and its SSIMULACRA 2 score against the source at the same size, measured or predicted).
 */
/** A 1x1 transparent GIF: what the Accept probe answers, so the browser's image request completes. */
const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function sendPage(res: http.ServerResponse, target: LocalTarget): void {
  const edge = target.cdnUrl;
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data: ${edge}`,
      `connect-src 'self' ${edge}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imgopt console</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body data-edge="${escapeHtml(edge)}" data-bucket="${escapeHtml(target.uploadBucket)}">
<noscript>The console needs JavaScript; the command line (npx imgopt report) shows the same.</noscript>
</body>
</html>
`);
}

function sendAsset(res: http.ServerResponse, type: string, body: string): void {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

async function overview(target: LocalTarget): Promise<ConsoleOverview> {
  const found = (await Promise.all(IMAGE_STATUSES.map((status) => imagesWithStatus(target, status, RECENT_LIMIT)))).flat();
  const images = found
    .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.updated_at.localeCompare(a.updated_at))
    .slice(0, RECENT_LIMIT)
    .map((record) => row(target, record));
  const failures: ConsoleFailure[] = listFailureMessages(target.failureQueueDir).reverse().map(({ id, body }) => {
    const records = (body.requestPayload as { Records?: Array<{ s3?: { object?: { key?: string } } }> } | undefined)?.Records;
    return {
      id,
      request_id: body.requestContext.requestId,
      timestamp: body.timestamp,
      condition: body.requestContext.condition,
      attempts: body.requestContext.approximateInvokeCount,
      image_ids: messageImageIds(body),
      keys: (Array.isArray(records) ? records : []).map((record) => decodeKey(record.s3?.object?.key ?? '')),
      error_type: body.responsePayload?.errorType ?? 'Error',
      error_message: body.responsePayload?.errorMessage ?? '',
    };
  });
  return { edge_url: target.cdnUrl, upload_bucket: target.uploadBucket, images, failures };
}

/** S3 event keys are URL-encoded with `+` for spaces. */
function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function row(target: LocalTarget, record: ImageRecord): ConsoleRow {
  const names = [...new Set((record.variants ?? []).map((variant) => variant.name))];
  // The smallest variant stands in where the preset has no thumbnail.
  const thumb = names.includes('thumb') ? 'thumb' : names[0];
  return {
    image_id: record.image_id,
    status: record.status,
    key: record.source?.key ?? '',
    created_at: record.created_at,
    updated_at: record.updated_at,
    source_bytes: record.source?.bytes ?? null,
    bytes_out: record.bytes_out ?? null,
    bytes_saved: record.bytes_saved ?? null,
    processing_ms: record.processing_ms ?? null,
    renditions: record.variants?.length ?? 0,
    attempts: record.attempts,
    thumb_url: record.status === 'COMPLETED' && thumb ? `${target.cdnUrl}${negotiatedPath(record.image_id, thumb)}` : null,
    error: record.error ?? null,
  };
}

function imageDetails(target: LocalTarget, preset: VariantPreset, record: ImageRecord): ConsoleImage {
  const canMark = markupProblem(record) === undefined;
  return {
    row: row(target, record),
    record,
    edge_url: target.cdnUrl,
    original_url: `/api/images/${record.image_id}/original`,
    variants: variantUrls(target.cdnUrl, record).map((variant) => {
      const spec = preset.variants.find((candidate) => candidate.name === variant.name);
      const animated = variant.formats.some((format) => format.animated);
      const made = new Set(variant.formats.map((format) => format.format));
      // The order the generated edge function uses for this variant, limited to the formats made.
      const negotiation = spec ? (animated ? animatedNegotiationOrder(spec) : negotiationOrder(spec)).filter((format) => made.has(format)) : [];
      return {
        name: variant.name,
        width: variant.width,
        height: variant.height,
        negotiated_url: variant.negotiatedUrl,
        negotiation,
        renditions: variant.formats.map((format) => ({
          format: format.format,
          content_type: OUTPUT_FORMAT_INFO[format.format].contentType,
          width: variant.width,
          height: variant.height,
          bytes: format.bytes,
          url: format.url,
          quality: format.quality ?? null,
          score: format.score ?? null,
          score_source: format.score_source ?? null,
          full_chroma: format.full_chroma === true,
        })),
      };
    }),
    markup: canMark
      ? { picture: pictureMarkup(target.cdnUrl, record), img: pictureMarkup(target.cdnUrl, record, { form: 'img' }) }
      : null,
  };
}

/** The upload itself, from the upload bucket, for comparison with the renditions. */
async function sendOriginal(res: http.ServerResponse, target: LocalTarget, record: ImageRecord): Promise<void> {
  let object;
  try {
    object = await target.s3.send(new GetObjectCommand({ Bucket: record.source.bucket, Key: record.source.key }));
  } catch (error) {
    sendJson(res, 404, { error: `the upload s3://${record.source.bucket}/${record.source.key} cannot be read: ${(error as Error).name}` });
    return;
  }
  res.writeHead(200, {
    'content-type': object.ContentType ?? 'application/octet-stream',
    ...(object.ContentLength !== undefined ? { 'content-length': String(object.ContentLength) } : {}),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // An upload is untrusted bytes: opened on its own it must not run as a document of this origin.
    'content-security-policy': "default-src 'none'; sandbox",
  });
  (object.Body as Readable).pipe(res);
}

async function receiveUpload(req: http.IncomingMessage, res: http.ServerResponse, target: LocalTarget, encodedName: string): Promise<void> {
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    sendJson(res, 400, { error: 'the file name is not valid URL encoding' });
    return;
  }
  // A file keeps its own name as its key, as `imgopt upload <file>` does; folders a browser sends are flattened.
  const key = name.split(/[\\/]/).pop() ?? '';
  const contentType = uploadContentType(key);
  if (!key || !contentType) {
    sendJson(res, 400, { error: `${key || 'a file without a name'} is not an image (expected ${UPLOAD_EXTENSIONS_TEXT}, in any letter case)` });
    return;
  }
  const body = await readBody(req, MAX_UPLOAD_BYTES);
  if (body === undefined) {
    sendJson(res, 413, { error: `the file is larger than the console takes (${MAX_UPLOAD_BYTES / 1024 / 1024} MB): use npx imgopt upload` });
    return;
  }
  const imageId = await putUpload(target, key, body, contentType);
  sendJson(res, 200, { image_id: imageId, key, bytes: body.length });
}

/** The request body, or undefined when it is larger than `limit` (the rest is drained, not kept). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size <= limit ? Buffer.concat(chunks) : undefined;
}
