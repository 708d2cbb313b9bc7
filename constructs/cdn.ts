import { Construct } from 'constructs';
import { CloudfrontCachePolicy } from '@cdktf/provider-aws/lib/cloudfront-cache-policy';
import {
  CloudfrontDistribution,
  CloudfrontDistributionOrderedCacheBehavior,
} from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontFunction } from '@cdktf/provider-aws/lib/cloudfront-function';
import { CloudfrontMonitoringSubscription } from '@cdktf/provider-aws/lib/cloudfront-monitoring-subscription';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { CloudfrontResponseHeadersPolicy } from '@cdktf/provider-aws/lib/cloudfront-response-headers-policy';
import { fallbackFormat, negotiationFunctionCode, originId } from '../lib/edge-function';
import { OUTPUT_FORMATS } from '../lib/formats';
import { formatPathPattern } from '../lib/keys';
import { VariantPreset } from '../lib/variants';
import { OptimizedBuckets } from './optimized-buckets';

/** Objects are immutable (a new upload gets a new image id), so they are cached for a year. */
const ONE_YEAR_SECONDS = 31_536_000;
/** A miss (not yet processed, or never) is cached briefly so a retry soon after processing sees the image. */
const MISS_CACHE_SECONDS = 10;

export interface CdnNames {
  readonly edgeFunction: string;
  readonly cachePolicy: string;
  readonly responseHeadersPolicy: string;
  readonly negotiatedHeadersPolicy: string;
  readonly originAccessControl: string;
}

export interface CdnProps {
  readonly names: CdnNames;
  /** The optimized buckets: each becomes an origin, and each is granted read to this distribution only. */
  readonly buckets: OptimizedBuckets;
  /** The preset the negotiation function is generated from. */
  readonly preset: VariantPreset;
  /** @default 'PriceClass_100' */
  readonly priceClass?: string;
  /** Origins allowed to read images with CORS. @default ['*'] */
  readonly corsAllowedOrigins?: readonly string[];
  /** Custom domain names; need `certificateArn`. @default - none */
  readonly domainNames?: readonly string[];
  /** ACM certificate (us-east-1) for `domainNames`. @default - the cloudfront.net certificate */
  readonly certificateArn?: string;
  /** WAFv2 web ACL ARN (scope CLOUDFRONT). @default - none */
  readonly webAclArn?: string;
  /** Bucket name for standard access logs. @default - no access logs */
  readonly accessLogsBucket?: string;
  /** Log prefix inside the access logs bucket. @default 'cloudfront/' */
  readonly accessLogsPrefix?: string;
  /** Turn on CloudFront's additional (billed) metrics, which include the cache hit rate. @default false */
  readonly additionalMetrics?: boolean;
}

/**
 * The CloudFront distribution in front of the optimized buckets: one origin per bucket with Origin Access Control
 * (no OAI, no public buckets), HTTPS only, HTTP/2 and HTTP/3, IPv6, long-lived caching with a cache key free of
 * cookies, query strings and the raw Accept header, security and CORS response headers, and the generated format
 * negotiation function on the default behaviour.
 */
export class Cdn extends Construct {
  public readonly distribution: CloudfrontDistribution;
  public readonly edgeFunction: CloudfrontFunction;
  public readonly cachePolicy: CloudfrontCachePolicy;
  public readonly responseHeadersPolicy: CloudfrontResponseHeadersPolicy;
  /** The negotiated URLs' policy: the same headers plus `Vary: Accept`. */
  public readonly negotiatedHeadersPolicy: CloudfrontResponseHeadersPolicy;
  public readonly originAccessControl: CloudfrontOriginAccessControl;
  /** Whether the cache hit rate metric is published. */
  public readonly additionalMetrics: boolean;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    this.additionalMetrics = props.additionalMetrics ?? false;

    this.originAccessControl = new CloudfrontOriginAccessControl(this, 'oac', {
      name: props.names.originAccessControl,
      description: 'Signs every origin request to the optimized image buckets',
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });

    this.cachePolicy = new CloudfrontCachePolicy(this, 'cache-policy', {
      name: props.names.cachePolicy,
      comment: 'Immutable image variants: one year, keyed by path only',
      minTtl: 0,
      defaultTtl: ONE_YEAR_SECONDS,
      maxTtl: ONE_YEAR_SECONDS,
      parametersInCacheKeyAndForwardedToOrigin: {
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: { headerBehavior: 'none' },
        queryStringsConfig: { queryStringBehavior: 'none' },
        // Images are already compressed: gzip or brotli would only split the cache.
        enableAcceptEncodingGzip: false,
        enableAcceptEncodingBrotli: false,
      },
    });

    const securityHeadersConfig = {
      strictTransportSecurity: {
        accessControlMaxAgeSec: 63_072_000,
        includeSubdomains: true,
        preload: true,
        override: true,
      },
      contentTypeOptions: { override: true },
      referrerPolicy: { referrerPolicy: 'strict-origin-when-cross-origin', override: true },
    };
    const corsAllowedOrigins = [...(props.corsAllowedOrigins ?? ['*'])];
    const corsConfig = {
      accessControlAllowCredentials: false,
      accessControlAllowHeaders: { items: ['*'] },
      accessControlAllowMethods: { items: ['GET', 'HEAD'] },
      accessControlAllowOrigins: { items: corsAllowedOrigins },
      accessControlMaxAgeSec: 86_400,
      originOverride: true,
    };
    this.responseHeadersPolicy = new CloudfrontResponseHeadersPolicy(this, 'response-headers', {
      name: props.names.responseHeadersPolicy,
      comment: 'HSTS, nosniff and CORS for image reads',
      securityHeadersConfig,
      corsConfig,
    });
    // A negotiated URL's bytes depend on the browser's Accept header: a shared cache or a browser that stores them
    // must key them by it too (CloudFront itself keys them by the path the edge function rewrites to). CloudFront's
    // CORS handling owns `Vary`, though: with a corsConfig it sends `Vary: Origin` and drops a custom Vary (found by
    // others on real CloudFront; ../shared is silent on it). With any origin allowed, the CORS answer is the same for
    // every request, so it goes out as fixed headers and Vary can say Accept. With named origins the answer depends
    // on Origin and only CloudFront's CORS handling can give it: those keep the corsConfig, and no Vary: Accept.
    const anyOrigin = corsAllowedOrigins.includes('*');
    this.negotiatedHeadersPolicy = new CloudfrontResponseHeadersPolicy(this, 'negotiated-headers', {
      name: props.names.negotiatedHeadersPolicy,
      comment: anyOrigin
        ? 'HSTS, nosniff, CORS for any origin and Vary: Accept for the negotiated /images/ URLs'
        : 'HSTS, nosniff and CORS for the negotiated /images/ URLs (CloudFront sends Vary: Origin)',
      securityHeadersConfig,
      ...(anyOrigin
        ? {
            customHeadersConfig: {
              items: [
                { header: 'Vary', value: 'Accept', override: true },
                { header: 'Access-Control-Allow-Origin', value: '*', override: true },
              ],
            },
          }
        : { corsConfig }),
    });

    this.edgeFunction = new CloudfrontFunction(this, 'negotiation', {
      name: props.names.edgeFunction,
      runtime: 'cloudfront-js-2.0',
      comment: 'Picks AVIF, WebP or JPEG for /images/<id>/<variant> from the Accept header',
      code: negotiationFunctionCode(props.preset),
      publish: true,
    });

    const behavior = {
      allowedMethods: ['GET', 'HEAD'],
      cachedMethods: ['GET', 'HEAD'],
      viewerProtocolPolicy: 'redirect-to-https',
      cachePolicyId: this.cachePolicy.id,
      responseHeadersPolicyId: this.responseHeadersPolicy.id,
      compress: false,
    };
    const orderedCacheBehavior: CloudfrontDistributionOrderedCacheBehavior[] = OUTPUT_FORMATS.map((format) => ({
      ...behavior,
      pathPattern: formatPathPattern(format),
      targetOriginId: originId(format),
    }));
    const customDomain = props.certificateArn !== undefined;
    const fallback = fallbackFormat(props.preset);

    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: 'Optimized images',
      priceClass: props.priceClass ?? 'PriceClass_100',
      httpVersion: 'http2and3',
      isIpv6Enabled: true,
      aliases: customDomain ? [...(props.domainNames ?? [])] : undefined,
      webAclId: props.webAclArn,
      origin: OUTPUT_FORMATS.map((format) => ({
        originId: originId(format),
        domainName: props.buckets.buckets[format].regionalDomainName,
        originAccessControlId: this.originAccessControl.id,
      })),
      orderedCacheBehavior,
      // The default behaviour serves negotiated URLs: the function picks the format and its origin (falling back to
      // this one's), and answers 404 for every other path.
      defaultCacheBehavior: {
        ...behavior,
        targetOriginId: originId(fallback),
        responseHeadersPolicyId: this.negotiatedHeadersPolicy.id,
        functionAssociation: [{ eventType: 'viewer-request', functionArn: this.edgeFunction.arn }],
      },
      customErrorResponse: [403, 404].map((errorCode) => ({ errorCode, errorCachingMinTtl: MISS_CACHE_SECONDS })),
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: customDomain
        ? { acmCertificateArn: props.certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' }
        : { cloudfrontDefaultCertificate: true },
      loggingConfig: props.accessLogsBucket
        ? { bucket: `${props.accessLogsBucket}.s3.amazonaws.com`, prefix: props.accessLogsPrefix ?? 'cloudfront/', includeCookies: false }
        : undefined,
    });

    props.buckets.allowCloudFrontRead(this.distribution.arn);

    if (this.additionalMetrics) {
      new CloudfrontMonitoringSubscription(this, 'additional-metrics', {
        distributionId: this.distribution.id,
        monitoringSubscription: { realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: 'Enabled' } },
      });
    }
  }
}
