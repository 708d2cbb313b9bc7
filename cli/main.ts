/**
 * `imgopt`: the pipeline's command line (bin/imgopt.js loads this). Parses the command, finds the target (the local
 * runtime, or a deployed environment with --env), runs the command, and turns every user mistake or unreachable
 * service into one line on stderr, `imgopt: <message>`, with a non-zero exit code. Set IMAGE_OPT_DEBUG=1 to see the
 * stack trace of an unexpected error.
 */
import { CommandName, ParsedCommand, parseCommandLine } from './args';
import { EXIT, UserError, describeServiceError } from './errors';
import type { Target } from './target';
import { envSetting } from '../lib/env';

/** A command checks its arguments first, then connects (finding the runtime or the deployed outputs) and runs. */
type Command = (command: ParsedCommand, connect: () => Target) => Promise<number>;

/** Each command's module is loaded only when it runs: `imgopt --help` stays fast. */
const COMMANDS: Record<CommandName, () => Command> = {
  /* eslint-disable @typescript-eslint/no-require-imports */
  upload: () => (require('./commands/upload') as typeof import('./commands/upload')).upload,
  fetch: () => (require('./commands/fetch') as typeof import('./commands/fetch')).fetchImage,
  status: () => (require('./commands/status') as typeof import('./commands/status')).status,
  html: () => (require('./commands/html') as typeof import('./commands/html')).html,
  replay: () => (require('./commands/replay') as typeof import('./commands/replay')).replay,
  report: () => (require('./commands/report') as typeof import('./commands/report')).report,
  /* eslint-enable @typescript-eslint/no-require-imports */
};

/** Runs one command line; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let target: Target | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      process.stdout.write(`${parsed.text}\n`);
      return EXIT.ok;
    }
    const command = parsed.parsed;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { resolveTarget } = require('./target') as typeof import('./target');
    return await COMMANDS[command.command]()(command, () => (target ??= resolveTarget(command.global)));
  } catch (error) {
    const line = error instanceof UserError
      ? error.message
      : describeServiceError(error, target?.label ?? 'the service', target?.kind === 'local');
    if (line !== undefined) {
      process.stderr.write(`imgopt: ${line}\n`);
      return error instanceof UserError ? error.exitCode : EXIT.error;
    }
    process.stderr.write(`imgopt: unexpected error: ${(error as Error).message ?? String(error)}`
      + `${envSetting(process.env, 'DEBUG') ? `\n${(error as Error).stack}` : ' (set IMAGE_OPT_DEBUG=1 for details)'}\n`);
    return EXIT.error;
  } finally {
    target?.close();
  }
}
