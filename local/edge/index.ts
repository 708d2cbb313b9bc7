/**
 * The local edge: an HTTP server on loopback that serves what a synthesized CloudFront distribution describes, from
 * the buckets on the local S3 server, so a URL that works here works on the deployed distribution and a broken path
 * pattern fails here first.
 *
 * Per request, as CloudFront does: pick the cache behaviour (local/path-pattern.ts), refuse methods the behaviour
 * does not allow (403), run its viewer-request function's deployed code (viewer-request.ts), which may answer
 * itself or rewrite the path and pick the origin, then read the object from the origin's bucket (origin.ts), replace
 * an error by a custom error page (error-pages.ts), and add the behaviour's response headers policy
 * (headers-policy.ts). This file is the server and that order. A key missing from a bucket read through Origin Access Control is S3's
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
import { S3Client } from '@aws-sdk/client-s3';
import type { EdgeValue } from '../../lib/edge-function';
import type { BehaviourConfig, DistributionConfig, OriginConfig } from '../distribution';
import { selectBehaviour } from '../path-pattern';
import { localClientConfig } from '../servers';
import { customErrorPage } from './error-pages';
import { applyResponseHeadersPolicy } from './headers-policy';
import { readOrigin } from './origin';
import { EDGE_NAME, Reply, ReplySource, edgeError, send } from './reply';
import { ViewerRequestRunner, toEdgeRequest } from './viewer-request';

export type { BehaviourConfig, DistributionConfig, OriginConfig, ResponseHeadersPolicy } from '../distribution';
export { DistributionConfigError, readDistribution, readDistributionFile } from '../distribution';
export { applyResponseHeadersPolicy } from './headers-policy';

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
  readonly source: ReplySource;
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

class Edge {
  /** `host:port` once listening: what the function sees as `context.distributionDomainName`. */
  domainName = '';
  private readonly origins: Map<string, OriginConfig>;
  private readonly viewerRequest: ViewerRequestRunner;

  constructor(private readonly options: LocalEdgeOptions, private readonly s3: S3Client) {
    this.origins = new Map(options.distribution.origins.map((origin) => [origin.id, origin]));
    this.viewerRequest = new ViewerRequestRunner(this.origins, options.onFunctionLog);
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
    const context = { distributionDomainName: this.domainName, distributionId: 'LOCALEDGE', requestId };
    const forwarded = fn ? await this.viewerRequest.run(fn, request, origin, context) : { request, origin };
    if ('status' in forwarded) return forwarded;
    const reply = await this.read(forwarded.origin, forwarded.request.uri, method, forwarded.request.headers);
    if (reply.status < 400) return reply;
    return customErrorPage(this.options.distribution, this.origins, reply, (pageOrigin, pagePath) => this.read(pageOrigin, pagePath, method, {}));
  }

  private read(origin: OriginConfig, uri: string, method: string, headers: Record<string, EdgeValue>): Promise<Reply> {
    return readOrigin(this.s3, origin, uri, method, headers, this.options.distribution.defaultRootObject);
  }
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
