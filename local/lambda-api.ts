/**
 * The local function's Invoke API on loopback: the one Lambda operation the pipeline's tools use
 * (`POST /2015-03-31/functions/<name>/invocations`), answered the way Lambda answers it, so the real
 * `@aws-sdk/client-lambda` works against it unchanged. `imgopt replay` re-drives the failure queue through it
 * exactly as it does against a deployed function (an `Event` invoke per message).
 *
 * - `InvocationType: Event` queues the event for asynchronous processing (retries, then the failure queue): 202.
 * - `RequestResponse` (the default) runs it now and returns the handler's result, or its error with
 *   `X-Amz-Function-Error: Unhandled`: 200.
 * - `DryRun`: 204.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeResult } from './function-host';
import { listenOnLoopback, readBody } from './http-server';

export interface LambdaApiOptions {
  readonly functionName: string;
  readonly functionArn: string;
  /** Queues an asynchronous invocation; returns its request id. */
  readonly invokeAsync: (event: unknown) => string;
  readonly invokeSync: (event: unknown, requestId: string) => Promise<InvokeResult>;
  /** @default 0 (any free port) */
  readonly port?: number;
}

export interface LambdaApi {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Lambda's limit on an invocation's payload (asynchronous invocations: 1 MB, synchronous: 6 MB). */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startLambdaApi(options: LambdaApiOptions): Promise<LambdaApi> {
  const server = http.createServer((request, response) => {
    handle(options, request, response).catch((error: Error) => {
      if (!response.headersSent) sendError(response, 500, 'ServiceException', error.message);
      else response.destroy();
    });
  });
  await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(options: LambdaApiOptions, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const route = ROUTE.exec(url.pathname);
  if (!route || request.method !== 'POST') {
    sendError(response, 404, 'UnknownOperationException', `The local Lambda API answers only Invoke (POST /2015-03-31/functions/<name>/invocations)`);
    return;
  }
  const requested = decodeURIComponent(route[1]);
  if (!namesFunction(requested, options)) {
    sendError(response, 404, 'ResourceNotFoundException', `Function not found: ${requested} (this runtime runs ${options.functionName})`);
    return;
  }

  const body = await readBody(request, MAX_PAYLOAD_BYTES);
  if (body === undefined) {
    sendError(response, 413, 'RequestTooLargeException', `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
    return;
  }
  let event: unknown = {};
  if (body.length > 0) {
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      sendError(response, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      return;
    }
  }

  const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (type === 'DryRun') {
    send(response, 204, { 'x-amzn-RequestId': randomUUID() });
  } else if (type === 'Event') {
    send(response, 202, { 'x-amzn-RequestId': options.invokeAsync(event) });
  } else if (type === 'RequestResponse') {
    const requestId = randomUUID();
    const result = await options.invokeSync(event, requestId);
    const headers: Record<string, string> = {
      'x-amzn-RequestId': requestId,
      'X-Amz-Executed-Version': '$LATEST',
      'Content-Type': 'application/json',
    };
    if (!result.ok) headers['X-Amz-Function-Error'] = 'Unhandled';
    send(response, 200, headers, JSON.stringify(result.ok ? result.payload : result.error));
  } else {
    sendError(response, 400, 'InvalidParameterValueException', `Unknown invocation type ${type} (expected Event, RequestResponse or DryRun)`);
  }
}

/** A function is named by its name, its ARN, or either with the `$LATEST` qualifier. */
function namesFunction(requested: string, options: LambdaApiOptions): boolean {
  const unqualified = requested.replace(/:\$LATEST$/, '');
  return unqualified === options.functionName || unqualified === options.functionArn;
}

function send(response: http.ServerResponse, status: number, headers: Record<string, string>, body = ''): void {
  response.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function sendError(response: http.ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { 'x-amzn-ErrorType': type, 'Content-Type': 'application/json' }, JSON.stringify({ Type: 'User', message }));
}
