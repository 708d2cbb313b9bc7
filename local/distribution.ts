/**
 * Reads a CloudFront distribution out of a synthesized stack's Terraform JSON, for the local edge.
 *
 * Everything comes from the synthesized configuration, never from a copy of what the CDN construct meant to write:
 * the origins (each resolved to the `aws_s3_bucket` its domain name references), the cache behaviours in order,
 * the viewer-request function's deployed code, the response headers policy and the custom error responses. What
 * the local edge cannot reproduce faithfully (non-S3 origins, signed URLs, Lambda@Edge, viewer-response functions,
 * KeyValueStores, managed policies) fails here, with every problem listed, rather than serving something the real
 * distribution would not.
 */
import * as fs from 'node:fs';

/** One origin: an S3 bucket on the local S3 server. */
export interface OriginConfig {
  readonly id: string;
  readonly bucket: string;
  /** Prefix put before every key (`origin_path`), without slashes at either end. @default '' */
  readonly originPath: string;
  /**
   * Whether the bucket is read through Origin Access Control. Such a bucket grants s3:GetObject only, so S3 answers
   * a missing key with 403 AccessDenied (not 404) and CloudFront passes the 403 on.
   */
  readonly privateAccess: boolean;
}

/** The viewer-request CloudFront Function of a behaviour. */
export interface ViewerRequestFunction {
  /** The function's name (the `name` argument of `aws_cloudfront_function`). */
  readonly name: string;
  readonly runtime: string;
  /** The code as deployed. */
  readonly code: string;
}

/** A header a response headers policy adds. */
export interface PolicyHeader {
  /** Lower-case header name. */
  readonly name: string;
  readonly value: string;
  /** Whether it replaces a header of the same name from the origin (otherwise the origin's is kept). */
  readonly override: boolean;
}

export interface CorsPolicy {
  readonly allowCredentials: boolean;
  readonly allowHeaders: readonly string[];
  readonly allowMethods: readonly string[];
  /** Origins allowed to read, `*` for any; an entry may hold a `*` wildcard (`https://*.example.com`). */
  readonly allowOrigins: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSec?: number;
  readonly originOverride: boolean;
}

/** A response headers policy, with its security and custom headers already rendered to header values. */
export interface ResponseHeadersPolicy {
  readonly name: string;
  /** Security headers (HSTS, nosniff, frame options, referrer policy, CSP, XSS protection) and custom headers. */
  readonly headers: readonly PolicyHeader[];
  readonly cors?: CorsPolicy;
  /** Lower-case names of origin headers removed from responses. */
  readonly removeHeaders: readonly string[];
}

export interface BehaviourConfig {
  /** `*` for the default behaviour. */
  readonly pathPattern: string;
  readonly targetOriginId: string;
  /** Upper-case methods, e.g. `['GET', 'HEAD']`. */
  readonly allowedMethods: readonly string[];
  /** `allow-all`, `redirect-to-https` or `https-only`: reported only, the local edge speaks HTTP. */
  readonly viewerProtocolPolicy: string;
  readonly viewerRequestFunction?: ViewerRequestFunction;
  readonly responseHeadersPolicy?: ResponseHeadersPolicy;
}

export interface CustomErrorResponse {
  readonly errorCode: number;
  /** Status sent to the viewer with the error page. @default - the origin's status */
  readonly responseCode?: number;
  /** Path of the page sent instead of the origin's error body. @default - the origin's error body */
  readonly responsePagePath?: string;
}

export interface DistributionConfig {
  /** Logical id of the `aws_cloudfront_distribution` in the stack. */
  readonly logicalId: string;
  readonly origins: readonly OriginConfig[];
  /** In the distribution's order: the first whose path pattern matches applies. */
  readonly orderedBehaviours: readonly BehaviourConfig[];
  readonly defaultBehaviour: BehaviourConfig;
  readonly customErrorResponses: readonly CustomErrorResponse[];
  /** Object served for a request to `/`. @default - none */
  readonly defaultRootObject?: string;
}

/** The synthesized configuration does not describe a distribution the local edge can serve; `problems` lists why. */
export class DistributionConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Cannot serve the synthesized CloudFront distribution locally:\n- ${problems.join('\n- ')}`);
    this.name = 'DistributionConfigError';
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * The distribution a synthesized stack describes.
 *
 * @param stack the parsed `cdk.tf.json` of one stack
 * @param logicalId which distribution, when the stack has more than one. @default - the only one
 * @example
 * const distribution = readDistribution(JSON.parse(fs.readFileSync('cdktf.out/stacks/image-optimization-dev/cdk.tf.json', 'utf8')));
 */
export function readDistribution(stack: unknown, logicalId?: string): DistributionConfig {
  const resources: Json = (isObject(stack) && isObject(stack.resource) ? stack.resource : {}) as Json;
  const distributions: Json = resources.aws_cloudfront_distribution ?? {};
  const ids = Object.keys(distributions);
  const id = logicalId ?? (ids.length === 1 ? ids[0] : undefined);
  if (id === undefined || !isObject(distributions[id])) {
    const found = ids.length === 0 ? 'none' : ids.join(', ');
    throw new DistributionConfigError([
      logicalId === undefined
        ? `expected exactly one aws_cloudfront_distribution in the stack, found ${found}`
        : `no aws_cloudfront_distribution "${logicalId}" in the stack (found: ${found})`,
    ]);
  }
  return new DistributionReader(resources).read(id, distributions[id]);
}

/** `readDistribution` of a `cdk.tf.json` file, with a clear error when the stack was not synthesized. */
export function readDistributionFile(file: string, logicalId?: string): DistributionConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist (run `npm run synth` first)' : (error as Error).message;
    throw new Error(`Cannot read the synthesized stack ${file}: ${reason}`);
  }
  return readDistribution(JSON.parse(text), logicalId);
}

class DistributionReader {
  private readonly problems: string[] = [];

  constructor(private readonly resources: Json) {}

  read(logicalId: string, distribution: Json): DistributionConfig {
    const origins = list(distribution.origin).map((origin) => this.origin(origin));
    if (list(distribution.origin_group).length > 0) this.problems.push('origin groups (failover) are not reproduced locally');
    const originIds = new Set(origins.map((origin) => origin.id));
    const orderedBehaviours = list(distribution.ordered_cache_behavior).map((behaviour, index) =>
      this.behaviour(behaviour, `ordered_cache_behavior[${index}]`, originIds),
    );
    const defaultBehaviour = this.behaviour({ ...one(distribution.default_cache_behavior), path_pattern: '*' }, 'default_cache_behavior', originIds);
    const customErrorResponses = list(distribution.custom_error_response).map((entry): CustomErrorResponse => ({
      errorCode: Number(entry.error_code),
      responseCode: present(entry.response_code) ? Number(entry.response_code) : undefined,
      responsePagePath: present(entry.response_page_path) ? String(entry.response_page_path) : undefined,
    }));
    if (this.problems.length > 0) throw new DistributionConfigError(this.problems);
    return {
      logicalId,
      origins,
      orderedBehaviours,
      defaultBehaviour,
      customErrorResponses,
      defaultRootObject: present(distribution.default_root_object) ? String(distribution.default_root_object) : undefined,
    };
  }

  private origin(origin: Json): OriginConfig {
    const id = String(origin.origin_id);
    const domain = String(origin.domain_name);
    if (list(origin.custom_origin_config).length > 0) {
      this.problems.push(`origin "${id}" is a custom (non-S3) origin: the local edge serves S3 bucket origins only`);
    }
    return {
      id,
      bucket: this.bucketOf(id, domain),
      originPath: String(origin.origin_path ?? '').replace(/^\/+|\/+$/g, ''),
      privateAccess: present(origin.origin_access_control_id) || list(origin.s3_origin_config).length > 0,
    };
  }

  /** The bucket behind an origin's domain name: a reference to an `aws_s3_bucket`'s domain, or a literal S3 domain. */
  private bucketOf(originId: string, domain: string): string {
    const reference = parseReference(domain);
    if (reference) {
      const bucket = reference.type === 'aws_s3_bucket' ? this.resources.aws_s3_bucket?.[reference.name] : undefined;
      const name = bucket?.bucket;
      if (
        reference.type === 'aws_s3_bucket' &&
        ['bucket_regional_domain_name', 'bucket_domain_name'].includes(reference.attribute) &&
        typeof name === 'string' &&
        !name.includes('${')
      ) {
        return name;
      }
      this.problems.push(
        `cannot resolve origin "${originId}" (domain_name: ${domain}): expected a reference to the ` +
          "bucket_regional_domain_name of an aws_s3_bucket in this stack whose `bucket` is a literal name",
      );
      return '';
    }
    const literal = /^(.+?)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/.exec(domain);
    if (literal && !domain.includes('.s3-website')) return literal[1];
    this.problems.push(`cannot resolve origin "${originId}" (domain_name: ${domain}): it is not an S3 bucket's domain name`);
    return '';
  }

  private behaviour(behaviour: Json, where: string, originIds: Set<string>): BehaviourConfig {
    const pathPattern = String(behaviour.path_pattern);
    const targetOriginId = String(behaviour.target_origin_id);
    if (!originIds.has(targetOriginId)) {
      this.problems.push(`${where} (${pathPattern}) targets origin "${targetOriginId}", which the distribution does not have`);
    }
    if (list(behaviour.lambda_function_association).length > 0) {
      this.problems.push(`${where} (${pathPattern}) has Lambda@Edge associations, which are not reproduced locally`);
    }
    if (list(behaviour.trusted_key_groups).length > 0 || list(behaviour.trusted_signers).length > 0) {
      this.problems.push(`${where} (${pathPattern}) requires signed URLs or cookies, which are not reproduced locally`);
    }
    let viewerRequestFunction: ViewerRequestFunction | undefined;
    for (const association of list(behaviour.function_association)) {
      if (association.event_type !== 'viewer-request') {
        this.problems.push(`${where} (${pathPattern}) has a ${association.event_type} function, which is not reproduced locally`);
        continue;
      }
      viewerRequestFunction = this.viewerRequestFunction(String(association.function_arn), where);
    }
    return {
      pathPattern,
      targetOriginId,
      allowedMethods: list(behaviour.allowed_methods).map((method) => String(method).toUpperCase()),
      viewerProtocolPolicy: String(behaviour.viewer_protocol_policy ?? 'allow-all'),
      viewerRequestFunction,
      responseHeadersPolicy: present(behaviour.response_headers_policy_id)
        ? this.responseHeadersPolicy(String(behaviour.response_headers_policy_id), where)
        : undefined,
    };
  }

  private viewerRequestFunction(arn: string, where: string): ViewerRequestFunction | undefined {
    const reference = parseReference(arn);
    const resource = reference?.type === 'aws_cloudfront_function' ? this.resources.aws_cloudfront_function?.[reference.name] : undefined;
    if (!resource || typeof resource.code !== 'string' || /^\$\{[^}]*\}$/.test(resource.code)) {
      this.problems.push(
        `${where}: cannot resolve the viewer-request function ${arn}: expected a reference to an aws_cloudfront_function ` +
          'in this stack with its code inline',
      );
      return undefined;
    }
    if (list(resource.key_value_store_associations).length > 0) {
      this.problems.push(`${where}: function "${resource.name}" uses a KeyValueStore, which is not reproduced locally`);
    }
    return { name: String(resource.name), runtime: String(resource.runtime), code: unescapeTemplate(resource.code) };
  }

  private responseHeadersPolicy(id: string, where: string): ResponseHeadersPolicy | undefined {
    const reference = parseReference(id);
    const policy =
      reference?.type === 'aws_cloudfront_response_headers_policy'
        ? this.resources.aws_cloudfront_response_headers_policy?.[reference.name]
        : undefined;
    if (!policy) {
      this.problems.push(
        `${where}: cannot resolve response headers policy ${id}: expected a reference to an ` +
          'aws_cloudfront_response_headers_policy in this stack (managed policies are not known locally)',
      );
      return undefined;
    }
    const security = one(policy.security_headers_config);
    const headers: PolicyHeader[] = [];
    const add = (name: string, value: string, override: unknown) => headers.push({ name, value, override: override === true });

    const hsts = one(security.strict_transport_security);
    if (present(hsts.access_control_max_age_sec)) {
      const directives = [`max-age=${hsts.access_control_max_age_sec}`];
      if (hsts.include_subdomains === true) directives.push('includeSubDomains');
      if (hsts.preload === true) directives.push('preload');
      add('strict-transport-security', directives.join('; '), hsts.override);
    }
    const contentTypeOptions = security.content_type_options;
    if (present(contentTypeOptions)) add('x-content-type-options', 'nosniff', one(contentTypeOptions).override);
    const frame = one(security.frame_options);
    if (present(frame.frame_option)) add('x-frame-options', String(frame.frame_option), frame.override);
    const referrer = one(security.referrer_policy);
    if (present(referrer.referrer_policy)) add('referrer-policy', String(referrer.referrer_policy), referrer.override);
    const csp = one(security.content_security_policy);
    if (present(csp.content_security_policy)) add('content-security-policy', String(csp.content_security_policy), csp.override);
    const xss = one(security.xss_protection);
    if (present(xss.protection)) {
      let value = xss.protection === true ? '1' : '0';
      if (xss.protection === true && xss.mode_block === true) value += '; mode=block';
      if (xss.protection === true && present(xss.report_uri)) value += `; report=${xss.report_uri}`;
      add('x-xss-protection', value, xss.override);
    }
    for (const item of list(one(policy.custom_headers_config).items)) {
      add(String(item.header).toLowerCase(), String(item.value), item.override);
    }

    const cors = one(policy.cors_config);
    const items = (block: unknown) => list(one(block).items).map(String);
    return {
      name: String(policy.name),
      headers,
      cors: present(policy.cors_config)
        ? {
            allowCredentials: cors.access_control_allow_credentials === true,
            allowHeaders: items(cors.access_control_allow_headers),
            allowMethods: items(cors.access_control_allow_methods),
            allowOrigins: items(cors.access_control_allow_origins),
            exposeHeaders: items(cors.access_control_expose_headers),
            maxAgeSec: present(cors.access_control_max_age_sec) ? Number(cors.access_control_max_age_sec) : undefined,
            originOverride: cors.origin_override === true,
          }
        : undefined,
      removeHeaders: list(one(policy.remove_headers_config).items).map((item) => String(item.header).toLowerCase()),
    };
  }
}

/** `${type.name.attribute}`, the whole string; undefined for anything else. */
function parseReference(value: string): { type: string; name: string; attribute: string } | undefined {
  const match = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/.exec(value);
  return match ? { type: match[1], name: match[2], attribute: match[3] } : undefined;
}

/** Terraform JSON strings are templates: `$${` and `%%{` stand for a literal `${` and `%{`. */
function unescapeTemplate(value: string): string {
  return value.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** A Terraform JSON block may be written as one object or as a list of them. */
function list(value: unknown): Json[] {
  if (Array.isArray(value)) return value as Json[];
  return present(value) ? [value as Json] : [];
}

function one(value: unknown): Json {
  return list(value)[0] ?? {};
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
