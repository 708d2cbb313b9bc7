/**
 * Viewer-request CloudFront Functions run as CloudFront runs them: the event's request built from the HTTP request,
 * the deployed code run (lib/edge-function.ts), and what it returns checked as CloudFront checks it.
 */
import * as http from 'node:http';
import {
  EdgeRequest,
  EdgeResponse,
  EdgeResult,
  EdgeValue,
  ViewerRequestContext,
  loadViewerRequestFunction,
} from '../../lib/edge-function';
import type { OriginConfig, ViewerRequestFunction } from '../distribution';
import { Reply, edgeError } from './reply';

/** The request a function lets through and the origin it goes to. */
export interface Forwarded {
  readonly request: EdgeRequest;
  readonly origin: OriginConfig;
}

/** Runs the viewer-request functions of one distribution, each loaded once. */
export class ViewerRequestRunner {
  private readonly functions = new Map<ViewerRequestFunction, (request: EdgeRequest, context?: ViewerRequestContext) => EdgeResult>();

  constructor(
    private readonly origins: ReadonlyMap<string, OriginConfig>,
    private readonly onFunctionLog?: (message: string, functionName: string) => void,
  ) {}

  /**
   * Runs a viewer-request function: the response it answers with, or the request it lets through and the origin
   * that request goes to. A function that throws is CloudFront's 503, one that returns what CloudFront cannot use
   * (no request, an unknown origin, a malformed response) its 502.
   */
  async run(fn: ViewerRequestFunction, request: EdgeRequest, origin: OriginConfig, context: ViewerRequestContext): Promise<Reply | Forwarded> {
    let output: EdgeRequest | EdgeResponse;
    let selected: string | undefined;
    try {
      const result = this.load(fn)(request, context);
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

  private load(fn: ViewerRequestFunction) {
    let run = this.functions.get(fn);
    if (!run) {
      run = loadViewerRequestFunction(fn.code, { log: (message) => this.onFunctionLog?.(message, fn.name) });
      this.functions.set(fn, run);
    }
    return run;
  }
}

/** The viewer-request event's request, as CloudFront Functions see it: lower-case headers, cookies parsed out. */
export function toEdgeRequest(req: http.IncomingMessage, method: string, path: string, query: string): EdgeRequest {
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
