import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from '../../main';
import { originId } from '../../lib/edge-function';
import { OUTPUT_FORMAT_INFO, OutputFormat } from '../../lib/formats';
import { explicitPath, negotiatedPath, outputKey } from '../../lib/keys';
import {
  DistributionConfig,
  DistributionConfigError,
  EdgeLogEntry,
  LocalEdge,
  applyResponseHeadersPolicy,
  readDistribution,
  startLocalEdge,
} from '../../local/edge';
import { LocalServers, localClientConfig, startLocalServers } from '../../local/servers';

/*
 * The local edge against the real thing it stands in for: the dev stack synthesized offline, the local S3 server,
 * objects written as the processor writes them, and requests over HTTP with Node's fetch.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const IMAGE_ID = 'a1b2c3d4e5f6a7b8c9d0e1f2';
const UNKNOWN_ID = 'ffffffffffffffffffffffff';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const HSTS = 'max-age=63072000; includeSubDomains; preload';
const CHROME = 'image/avif,image/webp,*/*';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'local-edge-'));
let stack: Json;

function bytesOf(format: OutputFormat, variant: string): Buffer {
  return Buffer.from(`${format} rendition ${variant} of ${IMAGE_ID}`);
}

/** The synthesized stack with one change made to it, as a new edit of `cdk.tf.json` would be. */
function edited(change: (resources: Json) => void): Json {
  const copy = structuredClone(stack);
  change(copy.resource);
  return copy;
}

function onlyDistribution(resources: Json): Json {
  return Object.values(resources.aws_cloudfront_distribution as Json)[0];
}

beforeAll(() => {
  const outdir = path.join(tmp, 'cdktf.out');
  buildApp({ ...process.env, IMAGE_OPT_OFFLINE: '1' }, outdir).synth();
  stack = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'image-optimization-dev', 'cdk.tf.json'), 'utf8'));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('readDistribution', () => {
  test('reads origins, behaviours, function and headers policy from the synthesized stack', () => {
    const distribution = readDistribution(stack);
    const buckets = stack.resource.aws_s3_bucket as Json;
    const bucketNames = Object.values(buckets).map((bucket) => bucket.bucket);
    for (const origin of distribution.origins) {
      expect(bucketNames).toContain(origin.bucket);
      expect(origin.privateAccess).toBe(true);
    }
    expect(distribution.origins.map((origin) => origin.id).sort()).toEqual(['avif', 'jpeg', 'png', 'webp'].map((f) => originId(f as OutputFormat)).sort());
    expect(distribution.orderedBehaviours.map((behaviour) => behaviour.pathPattern)).toEqual(['/avif/*', '/webp/*', '/jpeg/*', '/png/*']);
    const functionCode = Object.values(stack.resource.aws_cloudfront_function as Json)[0].code;
    expect(distribution.defaultBehaviour.viewerRequestFunction?.code).toBe(functionCode);
    expect(distribution.defaultBehaviour.responseHeadersPolicy?.headers).toEqual(
      expect.arrayContaining([
        { name: 'strict-transport-security', value: HSTS, override: true },
        { name: 'x-content-type-options', value: 'nosniff', override: true },
        { name: 'referrer-policy', value: 'strict-origin-when-cross-origin', override: true },
      ]),
    );
    expect(distribution.customErrorResponses).toEqual([
      { errorCode: 403, responseCode: undefined, responsePagePath: undefined },
      { errorCode: 404, responseCode: undefined, responsePagePath: undefined },
    ]);
  });

  test('fails when an origin does not reference a bucket of the stack', () => {
    const broken = edited((resources) => {
      onlyDistribution(resources).origin[0].domain_name = '${aws_s3_bucket.missing.bucket_regional_domain_name}';
    });
    expect(() => readDistribution(broken)).toThrow(DistributionConfigError);
    expect(() => readDistribution(broken)).toThrow(/cannot resolve origin "avif-bucket" \(domain_name: \$\{aws_s3_bucket\.missing\./);
  });

  test('fails listing every part the local edge would not reproduce', () => {
    const broken = edited((resources) => {
      const distribution = onlyDistribution(resources);
      distribution.ordered_cache_behavior[1].function_association = [{ event_type: 'viewer-response', function_arn: 'x' }];
      distribution.ordered_cache_behavior[2].target_origin_id = 'gif-bucket';
    });
    expect(() => readDistribution(broken)).toThrow(
      /viewer-response function, which is not reproduced locally\n- ordered_cache_behavior\[2\] \(\/jpeg\/\*\) targets origin "gif-bucket"/,
    );
  });

  test('fails when the stack has no distribution', () => {
    expect(() => readDistribution({ resource: {} })).toThrow(/expected exactly one aws_cloudfront_distribution in the stack, found none/);
  });
});

describe('applyResponseHeadersPolicy', () => {
  const policy = {
    name: 'p',
    headers: [{ name: 'x-frame-options', value: 'DENY', override: false }],
    removeHeaders: ['server'],
    cors: {
      allowCredentials: true,
      allowHeaders: ['*'],
      allowMethods: ['GET'],
      allowOrigins: ['https://*.example.com'],
      exposeHeaders: [],
      originOverride: true,
    },
  };
  const request = (headers: Record<string, string>) => ({ method: 'GET', header: (name: string) => headers[name] });

  test('keeps an origin header the policy does not override, and removes what it lists', () => {
    const headers: Record<string, string | string[]> = { 'x-frame-options': 'SAMEORIGIN', server: 'AmazonS3' };
    applyResponseHeadersPolicy(policy, request({}), headers);
    expect(headers).toEqual({ 'x-frame-options': 'SAMEORIGIN' });
  });

  test('echoes an allowed origin and ignores the others', () => {
    const allowed: Record<string, string | string[]> = {};
    applyResponseHeadersPolicy(policy, request({ origin: 'https://app.example.com' }), allowed);
    expect(allowed).toMatchObject({ 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true' });
    const other: Record<string, string | string[]> = {};
    applyResponseHeadersPolicy(policy, request({ origin: 'https://evil.test' }), other);
    expect(other['access-control-allow-origin']).toBeUndefined();
  });
});

describe('local edge', () => {
  let servers: LocalServers;
  let s3: S3Client;
  let distribution: DistributionConfig;
  let edge: LocalEdge;
  const log: EdgeLogEntry[] = [];
  const started: LocalEdge[] = [];

  /** Another edge on the same servers, serving an edited synthesized stack. */
  async function edgeFor(stackJson: Json): Promise<LocalEdge> {
    const another = await startLocalEdge({ distribution: readDistribution(stackJson), s3Endpoint: servers.s3Endpoint });
    started.push(another);
    return another;
  }

  beforeAll(async () => {
    distribution = readDistribution(stack);
    servers = await startLocalServers({ dataDir: path.join(tmp, 'data') });
    s3 = new S3Client(localClientConfig(servers.s3Endpoint));
    const bucketOf = (format: OutputFormat) => distribution.origins.find((origin) => origin.id === originId(format))!.bucket;
    for (const origin of distribution.origins) await s3.send(new CreateBucketCommand({ Bucket: origin.bucket }));
    // What the processor writes for one upload's `640` (AVIF, WebP, JPEG) and `1280` (no AVIF in dev) variants.
    const writes: [OutputFormat, string][] = [['avif', '640'], ['webp', '640'], ['jpeg', '640'], ['webp', '1280'], ['jpeg', '1280']];
    for (const [format, variant] of writes) {
      await s3.send(new PutObjectCommand({
        Bucket: bucketOf(format),
        Key: outputKey(format, IMAGE_ID, variant),
        Body: bytesOf(format, variant),
        ContentType: OUTPUT_FORMAT_INFO[format].contentType,
        CacheControl: IMMUTABLE,
      }));
    }
    await s3.send(new PutObjectCommand({ Bucket: bucketOf('jpeg'), Key: 'jpeg/error.html', Body: '<h1>no such image</h1>', ContentType: 'text/html' }));
    edge = await startLocalEdge({ distribution, s3Endpoint: servers.s3Endpoint, onRequest: (entry) => log.push(entry) });
  });

  afterAll(async () => {
    for (const running of [edge, ...started]) await running?.close();
    s3?.destroy();
    await servers?.close();
  });

  test('serves explicit-format URLs from each format\'s bucket with the object\'s and the policy\'s headers', async () => {
    for (const format of ['avif', 'webp', 'jpeg'] as const) {
      const response = await fetch(`${edge.url}${explicitPath(format, IMAGE_ID, '640')}`);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(bytesOf(format, '640'));
      expect(response.headers.get('content-type')).toBe(OUTPUT_FORMAT_INFO[format].contentType);
      expect(response.headers.get('cache-control')).toBe(IMMUTABLE);
      expect(response.headers.get('content-length')).toBe(String(bytesOf(format, '640').length));
      expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
      expect(response.headers.get('last-modified')).toMatch(/GMT$/);
      expect(response.headers.get('strict-transport-security')).toBe(HSTS);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(response.headers.get('x-cache')).toBe('Miss from local-edge');
      expect(response.headers.get('via')).toBe('1.1 local-edge (CloudFront)');
      // No Origin header: not a CORS request, so no CORS headers.
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(log).toContainEqual(expect.objectContaining({
      method: 'GET', status: 200, behaviour: '/jpeg/*', source: 'origin', origin: 'jpeg-bucket', key: outputKey('jpeg', IMAGE_ID, '640'),
    }));
  });

  test('negotiates the format of /images/<id>/<variant> from the Accept header', async () => {
    const cases: [string, OutputFormat][] = [[CHROME, 'avif'], ['image/webp,*/*', 'webp'], ['*/*', 'jpeg']];
    for (const [accept, format] of cases) {
      const response = await fetch(`${edge.url}${negotiatedPath(IMAGE_ID, '640')}`, { headers: { accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(OUTPUT_FORMAT_INFO[format].contentType);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(bytesOf(format, '640'));
      expect(response.headers.get('strict-transport-security')).toBe(HSTS);
      // The answer depends on Accept, so caches between the CDN and the browser must key it by Accept too.
      expect(response.headers.get('vary')).toBe('Accept');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
    // An explicit-format URL always answers the same bytes: no Vary.
    const explicit = await fetch(`${edge.url}${explicitPath('avif', IMAGE_ID, '640')}`, { method: 'HEAD', headers: { accept: CHROME } });
    expect(explicit.status).toBe(200);
    expect(explicit.headers.get('vary')).toBeNull();
    // The dev preset (main.ts) makes no AVIF at 1280: the function only points at what exists.
    const large = await fetch(`${edge.url}${negotiatedPath(IMAGE_ID, '1280')}`, { headers: { accept: CHROME } });
    expect(large.headers.get('content-type')).toBe('image/webp');
  });

  test('answers a missing object with S3\'s 403 AccessDenied, as a private bucket behind OAC does', async () => {
    for (const url of [explicitPath('webp', UNKNOWN_ID, '640'), negotiatedPath(UNKNOWN_ID, '640')]) {
      const response = await fetch(`${edge.url}${url}`, { headers: { accept: CHROME } });
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/xml');
      expect(await response.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
      expect(response.headers.get('x-cache')).toBe('Error from local-edge');
      expect(response.headers.get('strict-transport-security')).toBe(HSTS);
    }
  });

  test('answers paths outside every behaviour with the default behaviour\'s function: 404, cached a minute', async () => {
    for (const url of ['/nothing/here', '/', `/images/${IMAGE_ID}/999`, `/WEBP/${IMAGE_ID}/640.webp`]) {
      const response = await fetch(`${edge.url}${url}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('cache-control')).toBe('max-age=60');
      expect(response.headers.get('x-cache')).toBe('FunctionGeneratedResponse from local-edge');
      expect(response.headers.get('strict-transport-security')).toBe(HSTS);
      expect(await response.text()).toBe('');
    }
  });

  test('refuses methods the behaviour does not allow with 403', async () => {
    for (const url of [explicitPath('webp', IMAGE_ID, '640'), negotiatedPath(IMAGE_ID, '640')]) {
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
        const response = await fetch(`${edge.url}${url}`, { method, body: method === 'POST' || method === 'PUT' ? 'x' : undefined });
        expect(response.status).toBe(403);
        expect(await response.text()).toMatch(/not configured to allow the HTTP request method/);
      }
    }
  });

  test('answers HEAD with the headers and no body', async () => {
    const response = await fetch(`${edge.url}${explicitPath('jpeg', IMAGE_ID, '640')}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bytesOf('jpeg', '640').length));
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(await response.text()).toBe('');
    const missing = await fetch(`${edge.url}${explicitPath('jpeg', UNKNOWN_ID, '640')}`, { method: 'HEAD' });
    expect(missing.status).toBe(403);
  });

  test('answers a conditional GET whose ETag matches with 304, and a byte range with 206', async () => {
    const url = `${edge.url}${negotiatedPath(IMAGE_ID, '640')}`;
    const first = await fetch(url, { headers: { accept: 'image/webp' } });
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    const again = await fetch(url, { headers: { accept: 'image/webp', 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe(IMMUTABLE);
    const changed = await fetch(url, { headers: { accept: 'image/webp', 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();

    const range = await fetch(url, { headers: { accept: 'image/webp', range: 'bytes=0-3' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 0-3/${bytesOf('webp', '640').length}`);
    expect(await range.text()).toBe('webp');
  });

  test('adds the CORS headers of the policy to CORS requests', async () => {
    const response = await fetch(`${edge.url}${explicitPath('webp', IMAGE_ID, '640')}`, { headers: { origin: 'https://app.example.com' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    await response.arrayBuffer();
  });

  test('lists what runs where', () => {
    const bucket = (format: OutputFormat) => distribution.origins.find((origin) => origin.id === originId(format))!.bucket;
    const functionName = Object.values(stack.resource.aws_cloudfront_function as Json)[0].name;
    const policyNames = Object.values(stack.resource.aws_cloudfront_response_headers_policy as Json).map((policy) => policy.name as string);
    const explicitPolicy = policyNames.find((name) => name.includes('-images-'));
    const negotiatedPolicy = policyNames.find((name) => name.includes('-negotiated-'));
    const common = { allowedMethods: ['GET', 'HEAD'], viewerProtocolPolicy: 'redirect-to-https' };
    expect(edge.behaviours).toEqual([
      ...(['avif', 'webp', 'jpeg', 'png'] as const).map((format) => ({
        ...common, pathPattern: `/${format}/*`, originId: originId(format), bucket: bucket(format), viewerRequestFunction: undefined,
        responseHeadersPolicy: explicitPolicy,
      })),
      {
        ...common, pathPattern: '*', originId: originId('jpeg'), bucket: bucket('jpeg'), viewerRequestFunction: functionName,
        responseHeadersPolicy: negotiatedPolicy,
      },
    ]);
    expect(edge.url).toBe(`http://127.0.0.1:${edge.port}`);
  });

  test('follows the synthesized path patterns: renaming /webp/* stops serving /webp/ URLs', async () => {
    const renamed = await edgeFor(edited((resources) => {
      const behaviour = onlyDistribution(resources).ordered_cache_behavior.find((entry: Json) => entry.path_pattern === '/webp/*');
      behaviour.path_pattern = '/webpx/*';
    }));
    expect(renamed.behaviours.map((behaviour) => behaviour.pathPattern)).toContain('/webpx/*');

    const url = explicitPath('webp', IMAGE_ID, '640');
    const before = await fetch(`${edge.url}${url}`);
    expect(before.status).toBe(200);
    await before.arrayBuffer();
    // Now only the default behaviour matches /webp/..., and its function answers 404 for anything but /images/.
    const broken = await fetch(`${renamed.url}${url}`);
    expect(broken.status).toBe(404);
    expect(broken.headers.get('x-cache')).toBe('FunctionGeneratedResponse from local-edge');
    // And /webpx/... reaches the WebP bucket, where no key starts with webpx/.
    expect((await fetch(`${renamed.url}/webpx/${IMAGE_ID}/640.webp`)).status).toBe(403);
    // The negotiated URL still works: the function picks the WebP origin itself.
    expect((await fetch(`${renamed.url}${negotiatedPath(IMAGE_ID, '640')}`, { headers: { accept: 'image/webp' } })).status).toBe(200);
  });

  test('serves a custom error response\'s page in place of the origin\'s error', async () => {
    const custom = await edgeFor(edited((resources) => {
      onlyDistribution(resources).custom_error_response = [{ error_code: 403, response_code: 404, response_page_path: '/jpeg/error.html' }];
    }));
    const response = await fetch(`${custom.url}${explicitPath('jpeg', UNKNOWN_ID, '640')}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(await response.text()).toBe('<h1>no such image</h1>');
  });

  test('answers 503 when the viewer-request function throws', async () => {
    const failing = await edgeFor(edited((resources) => {
      Object.values(resources.aws_cloudfront_function as Json)[0].code = 'function handler(event) { throw new Error("boom"); }';
    }));
    const response = await fetch(`${failing.url}${negotiatedPath(IMAGE_ID, '640')}`);
    expect(response.status).toBe(503);
    expect(response.headers.get('x-cache')).toBe('FunctionExecutionError from local-edge');
    expect(await response.text()).toMatch(/boom/);
  });

  test('fails to start on a port in use', async () => {
    await expect(startLocalEdge({ distribution, s3Endpoint: servers.s3Endpoint, port: edge.port })).rejects.toThrow(
      new RegExp(`^port ${edge.port} is in use$`),
    );
  });
});
