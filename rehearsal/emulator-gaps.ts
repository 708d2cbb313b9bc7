/**
 * What moto_server 5.2.1 cannot do for the dev stack, each with its reason: the one list `npm run rehearse` leaves
 * out, forgives in the second plan, and stands in for. Found by applying the whole stack to it and planning again
 * (66 resources: 53 applied, 13 left out; the second plan differs only in the Lambda logging configuration).
 * Anything not listed here that fails to apply, or changes in the second plan, fails the rehearsal.
 */

import { FUNCTION_ENV } from '../lib/function-environment';
import { STACK_OUTPUTS } from '../lib/stack-outputs';

/** Resource types moto does not implement: every one in the stack is left out, with whatever references it. */
export const UNSUPPORTED_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  aws_cloudfront_cache_policy: 'moto 5.2.1 has no CloudFront cache policy API (CreateCachePolicy answers 404)',
  aws_cloudfront_response_headers_policy: 'moto 5.2.1 has no CloudFront response headers policy API (CreateResponseHeadersPolicy answers 404)',
  aws_cloudfront_function: 'moto 5.2.1 has no CloudFront Functions API (CreateFunction answers 404)',
  aws_s3_bucket_policy: 'moto 5.2.1 enforces bucket policies but ignores their conditions: the DenyInsecureTransport '
    + 'statement (Deny s3:* when aws:SecureTransport is false) would refuse every request, over TLS too (PutObject answers 403)',
};

/**
 * Attributes moto accepts but does not store, so every later plan wants to set them again. A second-plan change
 * to an applied resource is forgiven only when every attribute it changes is listed for its type.
 */
export const UNSTORED_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  aws_lambda_function: {
    logging_config: 'moto 5.2.1 takes LoggingConfig on CreateFunction but returns none from GetFunction',
  },
};

/**
 * Stack outputs the command line needs that name a resource left out: the outputs file gets a stand-in, so the
 * commands run; nothing is ever served from it (`.invalid` is a reserved, never-resolving top-level domain).
 */
export const STAND_IN_OUTPUTS: Readonly<Record<string, { readonly value: string; readonly reason: string }>> = {
  [STACK_OUTPUTS.distributionDomain]: {
    value: 'cdn.rehearsal.invalid',
    reason: 'the CloudFront distribution is left out (it needs the cache policy, response headers policy and function)',
  },
};

/**
 * Function environment variables that name a resource left out: the rehearsal's override file gives the function a
 * stand-in value instead, so the function (and what depends on it) is still applied. Nothing is served from it.
 */
export const STAND_IN_VARIABLES: Readonly<Record<string, { readonly value: string; readonly reason: string }>> = {
  [FUNCTION_ENV.cdnUrl]: {
    value: 'https://cdn.rehearsal.invalid',
    reason: 'the URL in the outcome notifications is the distribution\'s domain name, and the distribution is left out',
  },
};

/** Lambda functions are created and configured but never run: moto needs Docker to invoke one. */
export const NO_LAMBDA_RUNTIME = 'moto runs Lambda functions only through Docker, which this machine does not have: nothing processes the upload';
