/**
 * A mistake the user can fix (missing file, unknown image id, runtime not started, unknown option...): the command
 * line prints its message as one line, `imgopt: <message>`, and exits with `exitCode`, never with a stack trace.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Exit codes, the same for every command. */
export const EXIT = {
  ok: 0,
  /** A user mistake or an unreachable service: nothing (more) was done. */
  error: 1,
  /** The command ran, but some images did not end COMPLETED (FAILED, on the failure queue, or still running). */
  incomplete: 2,
} as const;

const NETWORK_ERRORS = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'];

/**
 * One line for an error from an AWS SDK call or the network, or undefined when it is neither (a bug, which keeps
 * its stack trace for IMGOPT_DEBUG=1).
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
