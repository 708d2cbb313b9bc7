/**
 * `imgopt replay`: re-drives the failure queue (cli/failure-replay.ts) and prints what was replayed;
 * `imgopt replay <image_id>` re-drives one upload from its source object (cli/upload-replay.ts).
 */
import { ParsedCommand, integerOption } from '../args';
import { EXIT, UsageError } from '../errors';
import { replayFailures } from '../failure-replay';
import { checkImageId } from '../images';
import type { Target } from '../target';
import { replayUpload } from '../upload-replay';

export async function replay(command: ParsedCommand, connect: () => Target): Promise<number> {
  if (command.positionals.length === 1) {
    if (command.options.limit !== undefined || command.options['dry-run'] !== undefined) {
      throw new UsageError('--limit and --dry-run are for the failure queue; imgopt replay <image_id> re-drives one upload');
    }
    return replayUpload(checkImageId(command.positionals[0]), command, connect());
  }
  const limit = integerOption(command.options, 'limit', Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
  const dryRun = command.options['dry-run'] === true;
  const target = connect();
  const results = await replayFailures(target, { limit, dryRun });

  if (command.global.json) {
    process.stdout.write(`${JSON.stringify({ function: target.functionName, dry_run: dryRun, messages: results }, null, 2)}\n`);
  } else {
    const lines = results.map((result) => {
      const ids = result.image_ids.length > 0 ? `image ${result.image_ids.join(', ')}` : 'no S3 records';
      const state = dryRun ? 'would replay' : result.replayed ? 'replayed' : `NOT replayed (${result.problem})`;
      return `  ${state}: request ${result.request_id}, ${ids}; it failed with ${result.error}`;
    });
    const done = results.filter((result) => result.replayed).length;
    const headline = results.length === 0
      ? `The failure queue is empty (${target.label}): nothing to replay.`
      : dryRun
        ? `${results.length} message${results.length === 1 ? '' : 's'} on the failure queue would be replayed to ${target.functionName}:`
        : `Replayed ${done} of ${results.length} message${results.length === 1 ? '' : 's'} to ${target.functionName} (they run again now; follow with imgopt report):`;
    process.stdout.write(`${[headline, ...lines].join('\n')}\n`);
  }
  return results.every((result) => result.replayed || dryRun) ? EXIT.ok : EXIT.error;
}

