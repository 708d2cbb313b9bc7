import { Cdn, CdnProps } from '../../constructs/cdn';
import { OptimizedBuckets } from '../../constructs/optimized-buckets';
import { originId } from '../../lib/edge-function';
import { OUTPUT_FORMATS } from '../../lib/formats';
import { DEFAULT_PRESET } from '../../lib/variants';
import { Json, only, ref, resources, synthScope } from '../support/synth';

const names = { edgeFunction: 'a-negotiate-dev', cachePolicy: 'a-images-dev', responseHeadersPolicy: 'a-images-dev', negotiatedHeadersPolicy: 'a-negotiated-dev', originAccessControl: 'a-oac-dev' };

function synthCdn(props: Partial<CdnProps> = {}): Json {
  return synthScope((scope) => {
    const buckets = new OptimizedBuckets(scope, 'optimized', {
      bucketNames: { avif: 'a-avif-dev', webp: 'a-webp-dev', jpeg: 'a-jpeg-dev', png: 'a-png-dev' },
    });
    new Cdn(scope, 'cdn', { names, buckets, preset: DEFAULT_PRESET, ...props });
  });
}

describe('Cdn', () => {
  const synth = synthCdn();
  const [distributionId, distribution] = only(synth, 'aws_cloudfront_distribution');
  const [oacId, oac] = only(synth, 'aws_cloudfront_origin_access_control');
  const [cachePolicyId, cachePolicy] = only(synth, 'aws_cloudfront_cache_policy');
  const policies = Object.entries(resources(synth, 'aws_cloudfront_response_headers_policy'));
  const [headersId, headers] = policies.find(([, policy]) => policy.name === 'a-images-dev')!;
  const [negotiatedId, negotiated] = policies.find(([, policy]) => policy.name === 'a-negotiated-dev')!;
  const [functionId, edgeFunction] = only(synth, 'aws_cloudfront_function');
  const buckets = resources(synth, 'aws_s3_bucket');

  test('reaches one origin per optimized bucket through Origin Access Control, never an OAI', () => {
    expect(oac).toMatchObject({ origin_access_control_origin_type: 's3', signing_behavior: 'always', signing_protocol: 'sigv4' });
    expect(resources(synth, 'aws_cloudfront_origin_access_identity')).toEqual({});
    const origins = distribution.origin as Json[];
    expect(origins.map((o) => o.origin_id).sort()).toEqual(OUTPUT_FORMATS.map(originId).sort());
    for (const origin of origins) {
      expect(origin.origin_access_control_id).toBe(ref('aws_cloudfront_origin_access_control', oacId, 'id'));
      expect(origin.s3_origin_config).toBeUndefined();
      const bucketId = /aws_s3_bucket\.([^.]+)\.bucket_regional_domain_name/.exec(origin.domain_name)![1];
      expect(origin.origin_id).toBe(originId(buckets[bucketId].bucket.split('-')[1]));
    }
  });

  test('grants each bucket to this distribution only', () => {
    for (const document of Object.values(synth.data.aws_iam_policy_document as Record<string, Json>)) {
      const read = document.statement.find((s: Json) => s.sid === 'AllowCloudFrontRead');
      expect(read.condition).toEqual([
        { test: 'StringEquals', variable: 'AWS:SourceArn', values: [ref('aws_cloudfront_distribution', distributionId, 'arn')] },
      ]);
    }
  });

  test('routes /<format>/* to that format\'s bucket, and the rest through the negotiation function', () => {
    const ordered = distribution.ordered_cache_behavior as Json[];
    expect(ordered.map((b) => [b.path_pattern, b.target_origin_id])).toEqual(OUTPUT_FORMATS.map((f) => [`/${f}/*`, originId(f)]));
    expect(distribution.default_cache_behavior.function_association).toEqual([
      { event_type: 'viewer-request', function_arn: ref('aws_cloudfront_function', functionId, 'arn') },
    ]);
    expect(edgeFunction).toMatchObject({ name: 'a-negotiate-dev', runtime: 'cloudfront-js-2.0', publish: true });
    expect(edgeFunction.code).toContain("import cf from 'cloudfront';");
  });

  test('is HTTPS-only, HTTP/2 and 3, IPv6, with every behaviour on the cache and headers policies', () => {
    expect(distribution).toMatchObject({ enabled: true, http_version: 'http2and3', is_ipv6_enabled: true, price_class: 'PriceClass_100' });
    expect(policies).toHaveLength(2);
    for (const behavior of [distribution.default_cache_behavior, ...distribution.ordered_cache_behavior]) {
      expect(behavior).toMatchObject({
        viewer_protocol_policy: 'redirect-to-https',
        allowed_methods: ['GET', 'HEAD'],
        cache_policy_id: ref('aws_cloudfront_cache_policy', cachePolicyId, 'id'),
      });
    }
    // Explicit-format URLs always answer the same bytes; negotiated ones (the default behaviour) vary by Accept.
    for (const behavior of distribution.ordered_cache_behavior) {
      expect(behavior.response_headers_policy_id).toBe(ref('aws_cloudfront_response_headers_policy', headersId, 'id'));
    }
    expect(distribution.default_cache_behavior.response_headers_policy_id).toBe(ref('aws_cloudfront_response_headers_policy', negotiatedId, 'id'));
    expect(distribution.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
  });

  test('caches for a year with a key of the path only: no cookies, headers (Accept) or query strings', () => {
    expect(cachePolicy).toMatchObject({ default_ttl: 31536000, max_ttl: 31536000, min_ttl: 0 });
    expect(cachePolicy.parameters_in_cache_key_and_forwarded_to_origin).toEqual({
      cookies_config: { cookie_behavior: 'none' },
      headers_config: { header_behavior: 'none' },
      query_strings_config: { query_string_behavior: 'none' },
      enable_accept_encoding_gzip: false,
      enable_accept_encoding_brotli: false,
    });
  });

  test('sends HSTS, nosniff and CORS for GET', () => {
    expect(headers.security_headers_config).toMatchObject({
      strict_transport_security: { access_control_max_age_sec: 63072000, include_subdomains: true, preload: true, override: true },
      content_type_options: { override: true },
    });
    expect(headers.cors_config).toMatchObject({
      access_control_allow_methods: { items: ['GET', 'HEAD'] },
      access_control_allow_origins: { items: ['*'] },
      access_control_allow_credentials: false,
    });
  });

  test('marks negotiated responses Vary: Accept, with CORS for any origin as fixed headers (CloudFront\'s CORS handling would own Vary)', () => {
    expect(negotiated.custom_headers_config).toEqual({
      items: [
        { header: 'Vary', value: 'Accept', override: true },
        { header: 'Access-Control-Allow-Origin', value: '*', override: true },
      ],
    });
    expect(negotiated.cors_config).toBeUndefined();
    expect(headers.custom_headers_config).toBeUndefined();
    expect(negotiated.security_headers_config).toEqual(headers.security_headers_config);
    // Named origins need CloudFront's CORS handling (the answer depends on Origin): no fixed headers, no Vary: Accept.
    const named = Object.values(resources(synthCdn({ corsAllowedOrigins: ['https://app.example.com'] }), 'aws_cloudfront_response_headers_policy'))
      .find((policy) => policy.name === 'a-negotiated-dev')!;
    expect(named.cors_config.access_control_allow_origins).toEqual({ items: ['https://app.example.com'] });
    expect(named.custom_headers_config).toBeUndefined();
  });

  test('takes a custom domain with its certificate on TLS 1.2 or newer, a web ACL and access logs', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f8e2a4c-1111-2222-3333-444455556666';
    const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/images/0f8e2a4c-1111-2222-3333-444455556666';
    const [, custom] = only(
      synthCdn({ domainNames: ['img.example.com'], certificateArn, webAclArn, accessLogsBucket: 'acme-logs', priceClass: 'PriceClass_All' }),
      'aws_cloudfront_distribution',
    );
    expect(custom).toMatchObject({
      aliases: ['img.example.com'],
      web_acl_id: webAclArn,
      price_class: 'PriceClass_All',
      viewer_certificate: { acm_certificate_arn: certificateArn, ssl_support_method: 'sni-only', minimum_protocol_version: 'TLSv1.2_2021' },
      logging_config: { bucket: 'acme-logs.s3.amazonaws.com', prefix: 'cloudfront/', include_cookies: false },
    });
  });

  test('subscribes to the additional metrics only when asked', () => {
    expect(resources(synth, 'aws_cloudfront_monitoring_subscription')).toEqual({});
    const [, subscription] = only(synthCdn({ additionalMetrics: true }), 'aws_cloudfront_monitoring_subscription');
    expect(subscription.monitoring_subscription).toEqual({
      realtime_metrics_subscription_config: { realtime_metrics_subscription_status: 'Enabled' },
    });
  });
});
