/**
 * Facts about the Lambda runtime the processor runs on, for the function's configuration, the esbuild bundle and
 * the test and benchmark harness that runs the archive under the same Node.
 */

/** Lambda's Node major for the processor: the newest that AWS supports for new functions. */
export const LAMBDA_NODE_MAJOR = 22;

/** The function's `runtime`. */
export const LAMBDA_RUNTIME = `nodejs${LAMBDA_NODE_MAJOR}.x` as const;

/** esbuild's target for the bundle: the runtime's Node major. */
export const BUNDLE_TARGET = `node${LAMBDA_NODE_MAJOR}` as const;

/** The Node release the tests run the archive under: the newest 22.x on npm when this was pinned. */
export const LAMBDA_NODE_VERSION = '22.23.3';

/** Lambda's instruction set architectures, as the function's `architectures` names them. */
export const ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * Lambda's application log levels, most verbose first: the function's `logging_config.application_log_level`, which
 * Lambda hands the code as `AWS_LAMBDA_LOG_LEVEL` (Powertools Logger takes it over any level of its own).
 */
export const APPLICATION_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type ApplicationLogLevel = (typeof APPLICATION_LOG_LEVELS)[number];

/**
 * Stands in for the account id where there is no account: offline synthesis (plan review and tests without
 * credentials) and the local runtime's ARNs.
 */
export const OFFLINE_ACCOUNT_ID = '000000000000';
