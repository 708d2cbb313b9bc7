/**
 * `imgopt report [--failed | --stuck] [--limit N]`: the operator's view, from the metadata table's status index: the
 * newest images, newest first (COMPLETED with savings, FAILED with reason, PROCESSING with age), and the failure
 * queue's depth. `--stuck` lists the uploads PROCESSING for longer than the function can run (lib/lease.ts), the
 * ones the UploadsStuck alarm counts, each with the command that re-drives it.
 */
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { FUNCTION_ENV } from '../../lib/function-environment';
import { ImageRecord, ImageStatus } from '../../lib/metadata';
import { listFailureMessages } from '../../local/failure-queue';
import { ParsedCommand, integerOption } from '../args';
import { EXIT, UsageError, UserError } from '../errors';
import { formatMs, formatSaved } from '../format';
import { imagesWithStatus, processingSince } from '../images';
import type { Target } from '../target';

export async function report(command: ParsedCommand, connect: () => Target): Promise<number> {
  const limit = integerOption(command.options, 'limit', 20, 1, 1000);
  const failedOnly = command.options.failed === true;
  if (failedOnly && command.options.stuck === true) throw new UsageError('--failed and --stuck are two different lists: give one of them');
  const target = connect();
  if (command.options.stuck === true) return reportStuck(command, target, limit);
  const statuses: ImageStatus[] = failedOnly ? ['FAILED'] : ['PROCESSING', 'COMPLETED', 'FAILED'];
  const found = (await Promise.all(statuses.map((status) => imagesWithStatus(target, status, limit)))).flat();
  const images = found.sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, limit);
  const queued = await failureQueueDepth(target);

  if (command.global.json) {
    const rows = images.map((image) => ({
      image_id: image.image_id,
      status: image.status,
      updated_at: image.updated_at,
      bucket: image.source?.bucket,
      key: image.source?.key,
      reason: image.error?.code ?? null,
      message: image.error?.message ?? null,
      processing_ms: image.processing_ms ?? null,
      source_bytes: image.source?.bytes ?? null,
      bytes_saved: image.bytes_saved ?? null,
    }));
    process.stdout.write(`${JSON.stringify({ table: target.table, images: rows, failure_queue_messages: queued }, null, 2)}\n`);
    return EXIT.ok;
  }

  const what = failedOnly ? 'failed images' : 'images';
  const lines = [`Newest ${what} in ${target.table} (${target.label}), newest first:`];
  if (images.length === 0) lines.push(`  no ${what} yet`);
  const width = Math.max(3, ...images.map((image) => image.source?.key?.length ?? 0));
  for (const image of images) {
    lines.push(`  ${image.updated_at.replace('T', ' ').slice(0, 19)}  ${image.status.padEnd(10)} ${image.image_id}  ${(image.source?.key ?? '').padEnd(width)}  ${detail(image)}`);
  }
  lines.push(queued === 0
    ? 'Failure queue: empty'
    : `Failure queue: ${queued} event${queued === 1 ? '' : 's'} waiting (re-drive with: imgopt replay${target.kind === 'deployed' ? ` --env ${target.environment}` : ''})`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/** `--stuck`: the uploads PROCESSING since before the stuck threshold, oldest first, with what re-drives each. */
async function reportStuck(command: ParsedCommand, target: Target, limit: number): Promise<number> {
  const afterSeconds = await stuckAfterSeconds(target);
  const before = new Date(Date.now() - afterSeconds * 1000);
  const stuck = await processingSince(target, before, limit);
  const env = target.kind === 'deployed' ? ` --env ${target.environment}` : '';
  if (command.global.json) {
    const rows = stuck.map((image) => ({
      image_id: image.image_id,
      since: image.updated_at,
      bucket: image.source?.bucket,
      key: image.source?.key,
      attempts: image.attempts,
      last_error: image.error?.code ?? null,
    }));
    process.stdout.write(`${JSON.stringify({ table: target.table, stuck_after_seconds: afterSeconds, stuck: rows }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = [`Uploads PROCESSING for more than ${afterSeconds} s (the function's timeout plus a margin) in ${target.table} (${target.label}):`];
  if (stuck.length === 0) lines.push('  none: nothing is stuck');
  for (const image of stuck) {
    lines.push(`  ${image.updated_at.replace('T', ' ').slice(0, 19)}  ${image.image_id}  ${image.source?.key ?? ''}  ${detail(image)}`);
  }
  if (stuck.length > 0) lines.push(`Re-drive one from its source object with: imgopt replay <image_id>${env}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/** The function's own threshold: the local stack's, or the deployed function's environment. */
async function stuckAfterSeconds(target: Target): Promise<number> {
  let raw: string | undefined;
  if (target.kind === 'local') {
    raw = target.runtime.stuckAfterSeconds === undefined ? undefined : String(target.runtime.stuckAfterSeconds);
  } else {
    const configuration = await target.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: target.functionName }));
    raw = configuration.Environment?.Variables?.[FUNCTION_ENV.stuckAfterSeconds];
  }
  const seconds = Number(raw);
  if (!(seconds > 0)) {
    throw new UserError(`${target.label} does not say when an upload is stuck (no ${FUNCTION_ENV.stuckAfterSeconds}): deploy or start this version first`);
  }
  return seconds;
}

function detail(image: ImageRecord): string {
  if (image.status === 'FAILED') return `${image.error?.code ?? 'no reason'}: ${image.error?.message ?? ''}`;
  if (image.status === 'COMPLETED') {
    return `${image.variants?.length ?? 0} variants in ${formatMs(image.processing_ms)}, ${formatSaved(image.bytes_saved, image.source?.bytes)}`;
  }
  const seconds = Math.round((Date.now() - Date.parse(image.updated_at)) / 1000);
  return `started ${seconds} s ago, attempt ${image.attempts}${image.error ? ` (last error ${image.error.code})` : ''}`;
}

async function failureQueueDepth(target: Target): Promise<number> {
  if (target.kind === 'local') return listFailureMessages(target.failureQueueDir).length;
  const answer = await target.sqs.send(new GetQueueAttributesCommand({
    QueueUrl: target.failureQueueUrl,
    AttributeNames: ['ApproximateNumberOfMessages'],
  }));
  return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0);
}
