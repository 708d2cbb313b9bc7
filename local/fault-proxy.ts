/**
 * A fault-injecting HTTP proxy for the local servers: it forwards requests to a target (s3rver, dynalite or the
 * local topic) and, for a share of them, answers as an overloaded AWS service would instead: 500, 503 (S3
 * `SlowDown`), throttling, a delay, or a dropped connection. The real SDK clients talk to it exactly as they talk
 * to AWS, so the retries exercised are the SDK's own and Lambda's, not a test double's.
 *
 * Used by the fault tests and `npm run load -- --faults`. Faults can be changed while it runs (`setFaults`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind = 'error500' | 'error503' | 'throttle' | 'drop' | 'delay';

/** The wire formats the proxy can answer in: S3's REST XML, DynamoDB's JSON, SNS's awsQuery XML. */
export type FaultService = 's3' | 'dynamodb' | 'sns';

export interface FaultRule {
  readonly kind: FaultKind;
  /**
   * Only in the proxy of this service: the runtime hands one rule list to all its proxies, and a rule meant for
   * the topic must not throttle S3. @default every proxy
   */
  readonly service?: FaultService;
  /** Share of matching requests that get this fault, 0..1. */
  readonly rate: number;
  /** Only requests whose method and path (and DynamoDB X-Amz-Target) match. @default every request */
  readonly match?: RegExp;
  /** Only requests whose body matches (a DynamoDB request's JSON, e.g. one update expression). */
  readonly body?: RegExp;
  /** For `delay`: milliseconds added before forwarding. @default 200 */
  readonly delayMs?: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  setFaults(rules: readonly FaultRule[]): void;
  /** Requests seen and faults injected so far, per kind. */
  stats(): { requests: number; faults: Record<FaultKind, number> };
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  readonly target: string;
  /** Which wire format the target speaks, for the shape of injected errors. */
  readonly service: FaultService;
  readonly rules?: readonly FaultRule[];
  /** Source of randomness (tests pass a seeded one). @default Math.random */
  readonly random?: () => number;
}

function injectedError(service: FaultService, kind: 'error500' | 'error503' | 'throttle'): { status: number; type: string; body: string } {
  if (service === 'dynamodb') {
    if (kind === 'throttle') {
      return { status: 400, type: 'application/x-amz-json-1.0', body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput (injected)' }) };
    }
    return { status: kind === 'error503' ? 503 : 500, type: 'application/x-amz-json-1.0', body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error (injected)' }) };
  }
  if (service === 'sns') {
    // awsQuery errors: the SDK reads the code from the XML; `Throttling` is in its list of throttling codes, and
    // 500 and 503 are transient statuses, so it retries all three.
    const error = kind === 'throttle' ? { status: 400, type: 'Sender', code: 'Throttling', message: 'Rate exceeded (injected)' }
      : kind === 'error500' ? { status: 500, type: 'Receiver', code: 'InternalError', message: 'Internal error (injected)' }
        : { status: 503, type: 'Receiver', code: 'ServiceUnavailable', message: 'Service unavailable (injected)' };
    return {
      status: error.status,
      type: 'text/xml',
      body: `<?xml version="1.0"?><ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${error.type}</Type><Code>${error.code}</Code><Message>${error.message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>`,
    };
  }
  const code = kind === 'error500' ? 'InternalError' : 'SlowDown';
  const status = kind === 'error500' ? 500 : 503;
  return { status, type: 'application/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected ${code}</Message><RequestId>fault</RequestId></Error>` };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = options.random ?? Math.random;
  let rules: readonly FaultRule[] = options.rules ?? [];
  let requests = 0;
  const faults: Record<FaultKind, number> = { error500: 0, error503: 0, throttle: 0, drop: 0, delay: 0 };

  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => {
    const upstream = http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    // The whole request is read first, so a rule can look at its body.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      const body = Buffer.concat(chunks);
      const subject = `${req.method} ${req.url} ${req.headers['x-amz-target'] ?? ''}`;
      const rule = rules.find((candidate) => (!candidate.service || candidate.service === options.service)
        && (!candidate.match || candidate.match.test(subject))
        && (!candidate.body || candidate.body.test(body.toString('utf8')))
        && random() < candidate.rate);
      if (!rule) return forward(req, body, res);
      faults[rule.kind] += 1;
      switch (rule.kind) {
        case 'drop':
          // Cut without an answer: a network failure to the client.
          req.socket.destroy();
          return;
        case 'delay':
          setTimeout(() => forward(req, body, res), rule.delayMs ?? 200);
          return;
        default: {
          const error = injectedError(options.service, rule.kind);
          res.writeHead(error.status, { 'content-type': error.type, 'content-length': Buffer.byteLength(error.body) });
          res.end(error.body);
        }
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFaults: (next) => {
      rules = next;
    },
    stats: () => ({ requests, faults: { ...faults } }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
