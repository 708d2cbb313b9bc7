/** A CloudFront response headers policy applied to a response: removed, security, custom and CORS headers. */
import type { CorsPolicy, ResponseHeadersPolicy } from '../distribution';

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
