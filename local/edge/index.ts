/**
 * The local edge: an HTTP server on loopback that serves what a synthesized CloudFront distribution describes, from
 * the buckets on the local S3 server, so a URL that works here works on the deployed distribution and a broken path
 * pattern fails here first.
 *
 * Per request, as CloudFront does: pick the cache behaviour (local/path-pattern.ts), refuse methods the behaviour
 * does not allow (403), run its viewer-request function's deployed code (lib/edge-function.ts), which may answer
 * itself or rewrite the path and pick the origin, then read the object from the origin's bucket, and add the
 * behaviour's response headers policy. A key missing from a bucket read through Origin Access Control is S3's
 * 403 AccessDenied, as on AWS, unless a custom error response maps it.
 *
 * Not reproduced: the cache itself (every response is a miss, so TTLs, the cache key and error caching do not show),
 * HTTPS and the viewer protocol redirect (only reported), compression, methods other than GET and HEAD, origin
 * failover, signed URLs, and edge-generated headers such as CloudFront-Viewer-Country. `readDistribution` refuses
 * configurations that would make the local answer differ in other ways.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, pipeline } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  EdgeRequest,
  EdgeResponse,
  EdgeResult,
  EdgeValue,
  ViewerRequestContext,
  loadViewerRequestFunction,
} from '../lib/edge-function';
import {
  BehaviourConfig,
  CorsPolicy,
  DistributionConfig,
  OriginConfig,
  ResponseHeadersPolicy,
  ViewerRequestFunction,
} from './distribution';
import { selectBehaviour } from './path-pattern';
import { localClientConfig } from './servers';

export type { BehaviourConfig, DistributionConfig, OriginConfig, ResponseHeadersPolicy } from './distribution';
export { DistributionConfigError, readDistribution, readDistributionFile } from './distribution';

/** Names this edge in `x-cache` and `via`, where CloudFront says `cloudfront`. */
const EDGE_NAME = 'local-edge';

export interface LocalEdgeOptions {
  /** What to serve: `readDistribution(stackJson)`. */
  readonly distribution: DistributionConfig;
  /** The local S3 server holding the origins' buckets (`startLocalServers().s3Endpoint`). */
  readonly s3Endpoint: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Called after every response, for an access log. @default - nothing is logged */
  readonly onRequest?: (entry: EdgeLogEntry) => void;
  /** Receives what a viewer-request function writes with `console.log`. @default - discarded */
  readonly onFunctionLog?: (message: string, functionName: string) => void;
}

/** One behaviour as the edge serves it: what runs where, for a runtime to print. */
export interface BehaviourSummary {
  /** `*` for the default behaviour. */
  readonly pathPattern: string;
  readonly originId: string;
  readonly bucket: string;
  readonly allowedMethods: readonly string[];
  /** What the deployed distribution does about plain HTTP; the local edge speaks plain HTTP only. */
  readonly viewerProtocolPolicy: string;
  /** Name of the viewer-request CloudFront Function. @default - none */
  readonly viewerRequestFunction?: string;
  /** Name of the response headers policy. @default - none */
  readonly responseHeadersPolicy?: string;
}

export interface EdgeLogEntry {
  readonly method: string;
  /** The request target as received (path and query). */
  readonly url: string;
  readonly status: number;
  /** Path pattern of the behaviour that served it (`*` for the default). */
  readonly behaviour: string;
  /** How the response was made: read from an origin, answered by the viewer-request function, or by the edge itself. */
  readonly source: 'origin' | 'function' | 'edge';
  /** The origin and object key read, when one was. */
  readonly origin?: string;
  readonly key?: string;
  /** Why the edge itself answered with an error (function failure, unreachable origin). */
  readonly error?: string;
  readonly durationMs: number;
}

export interface LocalEdge {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The ordered behaviours, then the default one. */
  readonly behaviours: readonly BehaviourSummary[];
  /** Stops listening, drops open connections and releases the S3 client. */
  close(): Promise<void>;
}

/** The behaviours of a distribution in the order CloudFront tries them, the default last. */
export function describeBehaviours(distribution: DistributionConfig): BehaviourSummary[] {
  const buckets = new Map(distribution.origins.map((origin) => [origin.id, origin.bucket]));
  return [...distribution.orderedBehaviours, distribution.defaultBehaviour].map((behaviour) => ({
    pathPattern: behaviour.pathPattern,
    originId: behaviour.targetOriginId,
    bucket: buckets.get(behaviour.targetOriginId) ?? '',
    allowedMethods: behaviour.allowedMethods,
    viewerProtocolPolicy: behaviour.viewerProtocolPolicy,
    viewerRequestFunction: behaviour.viewerRequestFunction?.name,
    responseHeadersPolicy: behaviour.responseHeadersPolicy?.name,
  }));
}

/**
 * Starts the local edge. Rejects with `port N is in use` when the port is taken.
 *
 * @example
 * const edge = await startLocalEdge({ distribution: readDistributionFile(stackFile), s3Endpoint: servers.s3Endpoint });
 * await fetch(`${edge.url}/images/${imageId}/640`, { headers: { accept: 'image/webp' } });
 */
export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? 0;
  const s3 = new S3Client(localClientConfig(options.s3Endpoint));
  const edge = new Edge(options, s3);
  const server = http.createServer((req, res) => void edge.handle(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`port ${requested} is in use`) : error),
      );
      server.listen(requested, host, () => resolve());
    });
  } catch (error) {
    s3.destroy();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  edge.domainName = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${edge.domainName}`,
    port,
    behaviours: describeBehaviours(options.distribution),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        s3.destroy();
      }),
  };
}

/** A response on its way to the viewer. Header names are lower-case. */
interface Reply {
  status: number;
  statusMessage?: string;
  headers: Record<string, string | string[]>;
  body?: Buffer | Readable;
  /** First word of `x-cache`: Miss, Error, FunctionGeneratedResponse... */
  cache: string;
  source: EdgeLogEntry['source'];
  origin?: string;
  key?: string;
  error?: string;
}

class Edge {
  /** `host:port` once listening: what the function sees as `context.distributionDomainName`. */
  domainName = '';
  private readonly origins: Map<string, OriginConfig>;
  private readonly functions = new Map<ViewerRequestFunction, (request: EdgeRequest, context?: ViewerRequestContext) => EdgeResult>();

  constructor(private readonly options: LocalEdgeOptions, private readonly s3: S3Client) {
    this.origins = new Map(options.distribution.origins.map((origin) => [origin.id, origin]));
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const { path, query } = splitTarget(target);
    const { distribution } = this.options;
    const behaviour = selectBehaviour(distribution.orderedBehaviours, distribution.defaultBehaviour, path);
    const requestId = randomBytes(42).toString('base64url');

    let reply: Reply;
    try {
      reply = await this.respond(behaviour, method, path, query, req, requestId);
    } catch (error) {
      reply = edgeError(500, 'The local edge failed on this request.', (error as Error).message);
    }
    const viewer = { method, header: (name: string) => headerValue(req.headers[name]) };
    if (behaviour.responseHeadersPolicy) applyResponseHeadersPolicy(behaviour.responseHeadersPolicy, viewer, reply.headers);
    reply.headers['x-cache'] = `${reply.cache} from ${EDGE_NAME}`;
    reply.headers.via = `1.1 ${EDGE_NAME} (CloudFront)`;
    reply.headers['x-amz-cf-pop'] = 'LOCAL';
    reply.headers['x-amz-cf-id'] = requestId;
    res.on('finish', () =>
      this.options.onRequest?.({
        method,
        url: target,
        status: reply.status,
        behaviour: behaviour.pathPattern,
        source: reply.source,
        origin: reply.origin,
        key: reply.key,
        error: reply.error,
        durationMs: Date.now() - started,
      }),
    );
    try {
      send(res, reply, method);
    } catch {
      // A status message or header HTTP cannot carry: drop this connection rather than the whole edge.
      res.destroy();
    }
  }

  private async respond(
    behaviour: BehaviourConfig,
    method: string,
    path: string,
    query: string,
    req: http.IncomingMessage,
    requestId: string,
  ): Promise<Reply> {
    if (!behaviour.allowedMethods.includes(method)) {
      return edgeError(
        403,
        'This distribution is not configured to allow the HTTP request method that was used for this request. ' +
          'The distribution supports only cachable requests.',
      );
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return edgeError(501, `The local edge serves GET and HEAD only; the distribution allows ${method} on ${behaviour.pathPattern}.`);
    }

    const request = toEdgeRequest(req, method, path, query);
    const origin = this.origins.get(behaviour.targetOriginId) as OriginConfig;
    const fn = behaviour.viewerRequestFunction;
    const forwarded = fn ? await this.runViewerRequest(fn, request, origin, requestId) : { request, origin };
    if ('status' in forwarded) return forwarded;
    const reply = await this.fromOrigin(forwarded.origin, forwarded.request.uri, method, forwarded.request.headers);
    return reply.status >= 400 ? this.customError(reply, method) : reply;
  }

  /**
   * Runs a viewer-request function: the response it answers with, or the request it lets through and the origin
   * that request goes to. A function that throws is CloudFront's 503, one that returns what CloudFront cannot use
   * (no request, an unknown origin, a malformed response) its 502.
   */
  private async runViewerRequest(
    fn: ViewerRequestFunction,
    request: EdgeRequest,
    origin: OriginConfig,
    requestId: string,
  ): Promise<Reply | { request: EdgeRequest; origin: OriginConfig }> {
    let output: EdgeRequest | EdgeResponse;
    let selected: string | undefined;
    try {
      const result = this.function(fn)(request, { distributionDomainName: this.domainName, distributionId: 'LOCALEDGE', requestId });
      output = await result.output;
      selected = result.selectedOrigin;
    } catch (error) {
      return edgeError(
        503,
        'The CloudFront function associated with the CloudFront distribution is invalid or could not run.',
        `function ${fn.name} failed: ${(error as Error).message}`,
        'FunctionExecutionError',
      );
    }
    const invalid = (problem: string) =>
      edgeError(502, 'The CloudFront function returned an invalid value to CloudFront.', `function ${fn.name}: ${problem}`, 'FunctionValidationError');
    if (isEdgeResponse(output)) {
      const problem = responseProblem(output);
      return problem ? invalid(problem) : functionResponse(output);
    }
    if (!isEdgeRequest(output)) return invalid('it returned neither a request nor a response');
    if (selected === undefined) return { request: output, origin };
    const chosen = this.origins.get(selected);
    return chosen ? { request: output, origin: chosen } : invalid(`it selected origin "${selected}", which the distribution does not have`);
  }

  /** Reads `uri` from the origin's bucket as S3 would answer CloudFront: object, 206, 304, or S3's error. */
  private async fromOrigin(origin: OriginConfig, uri: string, method: string, headers: Record<string, EdgeValue>): Promise<Reply> {
    const key = objectKey(origin, uri, this.options.distribution.defaultRootObject);
    const base = { source: 'origin' as const, origin: origin.id, key: key ?? uri };
    if (key === undefined) return { ...base, ...s3Error(400, 'InvalidURI', "Couldn't parse the specified URI.", method) };
    // S3 answers a request for the bucket itself with a listing, which Origin Access Control (GetObject only) refuses.
    if (key === '') return { ...base, ...s3Error(403, 'AccessDenied', 'Access Denied', method) };
    const range = headers.range?.value;
    let object;
    try {
      object = method === 'HEAD'
        ? await this.s3.send(new HeadObjectCommand({ Bucket: origin.bucket, Key: key }))
        : await this.s3.send(new GetObjectCommand({ Bucket: origin.bucket, Key: key, Range: range }));
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

  /** A custom error response with a page replaces an origin's error, when the page itself can be read. */
  private async customError(reply: Reply, method: string): Promise<Reply> {
    const { distribution } = this.options;
    const custom = distribution.customErrorResponses.find((entry) => entry.errorCode === reply.status && entry.responsePagePath);
    if (!custom?.responsePagePath) return reply;
    const pagePath = custom.responsePagePath.startsWith('/') ? custom.responsePagePath : `/${custom.responsePagePath}`;
    const behaviour = selectBehaviour(distribution.orderedBehaviours, distribution.defaultBehaviour, pagePath);
    const page = await this.fromOrigin(this.origins.get(behaviour.targetOriginId) as OriginConfig, pagePath, method, {});
    if (page.status >= 400) {
      if (page.body instanceof Readable) page.body.destroy();
      return reply;
    }
    if (reply.body instanceof Readable) reply.body.destroy();
    return { ...page, status: custom.responseCode ?? reply.status, cache: 'Error' };
  }

  private function(fn: ViewerRequestFunction) {
    let run = this.functions.get(fn);
    if (!run) {
      run = loadViewerRequestFunction(fn.code, { log: (message) => this.options.onFunctionLog?.(message, fn.name) });
      this.functions.set(fn, run);
    }
    return run;
  }
}

/**
 * Adds a response headers policy's headers to a response, as CloudFront does: removes the listed origin headers,
 * sets the security and custom headers (keeping the origin's own where the policy does not override), and, for CORS
 * requests (those with an `Origin` header from an allowed origin), the CORS headers; preflight requests
 * (`OPTIONS` with `Access-Control-Request-Method`) also get the allowed methods, headers and max age.
 *
 * @param headers the response's headers, lower-case names; changed in place
 */
export function applyResponseHeadersPolicy(
  policy: ResponseHeadersPolicy,
  request: { readonly method: string; header(name: string): string | undefined },
  headers: Record<string, string | string[]>,
): void {
  for (const name of policy.removeHeaders) delete headers[name];
  const put = (name: string, value: string, override: boolean) => {
    if (override || headers[name] === undefined) headers[name] = value;
  };
  for (const header of policy.headers) put(header.name, header.value, header.override);

  const origin = request.header('origin');
  const cors = policy.cors;
  if (!cors || origin === undefined || !corsAllows(cors, origin)) return;
  put('access-control-allow-origin', cors.allowOrigins.includes('*') ? '*' : origin, cors.originOverride);
  if (cors.allowCredentials) put('access-control-allow-credentials', 'true', cors.originOverride);
  if (cors.exposeHeaders.length > 0) put('access-control-expose-headers', cors.exposeHeaders.join(', '), cors.originOverride);
  if (request.method === 'OPTIONS' && request.header('access-control-request-method') !== undefined) {
    put('access-control-allow-methods', cors.allowMethods.join(', '), cors.originOverride);
    put('access-control-allow-headers', cors.allowHeaders.join(', '), cors.originOverride);
    if (cors.maxAgeSec !== undefined) put('access-control-max-age', String(cors.maxAgeSec), cors.originOverride);
  }
}

function corsAllows(cors: CorsPolicy, origin: string): boolean {
  return cors.allowOrigins.some((allowed) => {
    if (allowed === '*') return true;
    const pattern = allowed.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return new RegExp(`^${pattern}$`, 'i').test(origin);
  });
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

/** The error S3 sends CloudFront, XML body and all (none for HEAD). */
function s3Error(status: number, code: string, message: string, method: string): Omit<Reply, 'source'> {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
  const body = Buffer.from(xml);
  return {
    status,
    headers: { 'content-type': 'application/xml', 'content-length': String(body.length) },
    body: method === 'HEAD' ? undefined : body,
    cache: 'Error',
  };
}

/** An error CloudFront itself answers with: its HTML error page. */
function edgeError(status: number, explanation: string, detail?: string, cache = 'Error'): Reply {
  const html =
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n' +
    '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n' +
    '<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n' +
    `<H1>${status} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size="1px">\n` +
    `${escapeXml(explanation)}\n${detail ? `<PRE>${escapeXml(detail)}</PRE>\n` : ''}` +
    `<HR noshade size="1px">\n<PRE>Generated by ${EDGE_NAME} (CloudFront)</PRE>\n</BODY></HTML>`;
  const body = Buffer.from(html, 'latin1');
  return {
    status,
    headers: { server: 'CloudFront', 'content-type': 'text/html', 'content-length': String(body.length) },
    body,
    cache,
    source: 'edge',
    error: detail,
  };
}

/** Why CloudFront would refuse a function's response (a status or a header HTTP cannot carry); undefined if none. */
function responseProblem(response: EdgeResponse): string | undefined {
  if (!Number.isInteger(response.statusCode) || response.statusCode < 100 || response.statusCode > 599) {
    return `status code ${response.statusCode} is not an HTTP status`;
  }
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    try {
      http.validateHeaderName(name);
      for (const entry of header.multiValue ?? [header]) http.validateHeaderValue(name, entry.value);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

function functionResponse(response: EdgeResponse): Reply {
  const headers: Record<string, string | string[]> = { server: 'CloudFront' };
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    headers[name.toLowerCase()] = header.multiValue ? header.multiValue.map((entry) => entry.value) : header.value;
  }
  const cookies = Object.entries(response.cookies ?? {}).flatMap(([name, cookie]) =>
    (cookie.multiValue ?? [cookie]).map((entry) => {
      const attributes = (entry as { attributes?: string }).attributes;
      return `${name}=${entry.value}${attributes ? `; ${attributes}` : ''}`;
    }),
  );
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const { body } = response;
  const bytes =
    body === undefined ? Buffer.alloc(0)
    : typeof body === 'string' ? Buffer.from(body)
    : Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
  headers['content-length'] = String(bytes.length);
  return {
    status: response.statusCode,
    statusMessage: response.statusDescription,
    headers,
    body: bytes,
    cache: 'FunctionGeneratedResponse',
    source: 'function',
  };
}

function send(res: http.ServerResponse, reply: Reply, method: string): void {
  res.statusCode = reply.status;
  if (reply.statusMessage) res.statusMessage = reply.statusMessage;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  const { body } = reply;
  if (method === 'HEAD' || reply.status === 304 || body === undefined) {
    if (body instanceof Readable) body.destroy();
    res.end();
  } else if (body instanceof Readable) {
    pipeline(body, res, () => undefined);
  } else {
    res.end(body);
  }
}

/** The viewer-request event's request, as CloudFront Functions see it: lower-case headers, cookies parsed out. */
function toEdgeRequest(req: http.IncomingMessage, method: string, path: string, query: string): EdgeRequest {
  const headers: Record<string, EdgeValue> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name !== 'cookie' && values) headers[name] = edgeValue(values);
  }
  const cookies = collect(
    (req.headers.cookie ?? '').split(';').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
      const equals = pair.indexOf('=');
      return equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    }),
  );
  const querystring = collect(
    query.split('&').filter(Boolean).map((pair) => {
      const equals = pair.indexOf('=');
      return equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    }),
  );
  return { uri: path, method, headers, querystring, cookies };
}

function collect(pairs: string[][]): Record<string, EdgeValue> {
  const values = new Map<string, string[]>();
  for (const [name, value] of pairs) values.set(name, [...(values.get(name) ?? []), value]);
  return Object.fromEntries([...values].map(([name, list]) => [name, edgeValue(list)]));
}

function edgeValue(values: string[]): EdgeValue {
  return values.length > 1 ? { value: values[0], multiValue: values.map((value) => ({ value })) } : { value: values[0] };
}

function isEdgeResponse(output: unknown): output is EdgeResponse {
  return typeof output === 'object' && output !== null && typeof (output as EdgeResponse).statusCode === 'number';
}

function isEdgeRequest(output: unknown): output is EdgeRequest {
  const request = output as EdgeRequest;
  return typeof output === 'object' && output !== null && typeof request.uri === 'string' && request.uri.startsWith('/')
    && typeof request.headers === 'object' && request.headers !== null;
}

/** Path and query of a request target, the path exactly as sent (no decoding, no dot-segment removal). */
function splitTarget(target: string): { path: string; query: string } {
  const withoutAuthority = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
  const question = withoutAuthority.indexOf('?');
  const path = question === -1 ? withoutAuthority : withoutAuthority.slice(0, question);
  return { path: path.startsWith('/') ? path : `/${path}`, query: question === -1 ? '' : withoutAuthority.slice(question + 1) };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
