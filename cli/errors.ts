/** Exit codes, the same for every command (listed in `imgopt --help`). */
export const EXIT = {
  ok: 0,
  /** A missing file, an unknown image, a runtime not started, an unreachable service: nothing (more) was done. */
  error: 1,
  /** The command line itself is wrong: unknown command or option, missing or malformed argument or option value. */
  usage: 2,
  /** The command ran, but some images did not end COMPLETED (FAILED, on the failure queue, or still running). */
  incomplete: 3,
} as const;

/**
 * A mistake the user can fix (missing file, unknown image id, runtime not started...): the command line prints its
 * message as one line, `imgopt: <message>`, and exits with `exitCode`, never with a stack trace.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.error) {
    super(message);
    this.name = 'UserError';
  }
}

/** A mistake in the command line itself (see `EXIT.usage`). */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

const NETWORK_ERRORS = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'];

/**
 * One line for an error from an AWS SDK call or the network, or undefined when it is neither (a bug, which keeps
 * its stack trace for IMAGE_OPT_DEBUG=1).
 *
 * @param where what was being talked to, for the message: "the local runtime", "environment prod"
 * @param local whether that is the local runtime (which may have been stopped meanwhile)
 */
export function describeServiceError(error: unknown, where: string, local: boolean): string | undefined {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string }; $metadata?: unknown };
  const code = e.code ?? e.cause?.code;
  if ((code && NETWORK_ERRORS.includes(code)) || e.name === 'TimeoutError') {
    return `cannot reach ${where}: ${e.message}${local ? ' (is it still running? start it with npm start)' : ''}`;
  }
  if (e.name === 'CredentialsProviderError' || (/credential/i.test(e.message ?? '') && !e.$metadata)) {
    return `no AWS credentials for ${where}: ${e.message} (configure them as for the AWS CLI: AWS_PROFILE, aws sso login...)`;
  }
  if (e.$metadata) return `${where} refused the request: ${e.name}: ${e.message}`;
  return undefined;
}
