/**
 * Structured JSON logs: one line per event, with the image id, bucket and key. Never image bytes or credentials.
 *
 * Written by Powertools for AWS Lambda's Logger, one JSON object per line with `level`, `message`, `timestamp` and
 * the fields at the top level, which Lambda's JSON log format keeps as they are: levels reach CloudWatch as levels
 * (and are filtered by the function's application log level, which Lambda passes as `AWS_LAMBDA_LOG_LEVEL`), fields
 * are queryable, an error carries its name, message and stack. `console.log` would land as one escaped string at
 * INFO.
 */
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { PROJECT } from '../../lib/naming';

export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * One Logger per execution environment: Powertools reports `cold_start` true only on the first context a Logger
 * instance is given, and reads its level from the environment once.
 */
const containerLogger = new Logger({ serviceName: PROJECT });

export class Log {
  /**
   * @param base fields every line of this log carries
   * @param logger the Powertools Logger that writes the lines: the execution environment's unless a test brings its own
   */
  constructor(private readonly base: LogFields = {}, private readonly logger: Logger = containerLogger) {}

  /** A log whose lines also carry `fields`. */
  with(fields: LogFields): Log {
    return new Log({ ...this.base, ...fields }, this.logger);
  }

  /** Adds the invocation's request id, function name, ARN, memory and cold start to every line from now on. */
  addContext(context: Context): void {
    this.logger.addContext(context);
  }

  info(message: string, fields: LogFields = {}): void {
    this.logger.info(message, { ...this.base, ...fields });
  }

  warn(message: string, fields: LogFields = {}): void {
    this.logger.warn(message, { ...this.base, ...fields });
  }

  /** An ERROR line; given the error itself, the line's `error` holds its name, message, location and stack. */
  error(message: string, fields?: LogFields): void;
  error(message: string, error: Error, fields?: LogFields): void;
  error(message: string, errorOrFields?: Error | LogFields, fields: LogFields = {}): void {
    if (errorOrFields === undefined || isFields(errorOrFields)) {
      this.logger.error(message, { ...this.base, ...errorOrFields });
      return;
    }
    // Something thrown that is not an Error (a string, a plain value) has no stack: it is logged as text.
    const error = errorOrFields instanceof Error ? errorOrFields : String(errorOrFields);
    this.logger.error(message, { ...this.base, ...fields, error });
  }
}

function isFields(value: unknown): value is LogFields {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
