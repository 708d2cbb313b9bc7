/**
 * `imgopt replay <image_id>`: re-drives one upload from its source object. The function is invoked asynchronously
 * (Lambda's Invoke, InvocationType Event: locally the runtime's Invoke API) with the ObjectCreated event S3 would
 * send for the source the metadata item records, so the processor's own rules decide what happens: a stuck upload
 * is taken over once the old claim has run out (until then the invocation fails as UploadInProgress and Lambda's
 * retries carry it), an ended upload stays as it is and is announced if it never was.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { objectCreatedEvent } from '../lib/s3-events';
import type { ImageRecord } from '../lib/metadata';
import type { ParsedCommand } from './args';
import { EXIT } from './errors';
import { getImage, missingImage } from './images';
import type { Target } from './target';

export async function replayUpload(imageId: string, command: ParsedCommand, target: Target): Promise<number> {
  const record = await getImage(target, imageId);
  if (!record) throw missingImage(target, imageId);
  const env = target.kind === 'deployed' ? ` --env ${target.environment}` : '';
  const final = record.status !== 'PROCESSING';
  const announceOnly = final && record.announced_at === undefined;

  if (final && !announceOnly) {
    const why = record.status === 'FAILED'
      ? `it ended FAILED (${record.error?.code ?? 'no reason'}): bad input is not processed again; upload a fixed file`
      : 'it ended COMPLETED';
    return done(command, target, record, false,
      `Image ${imageId} was not replayed: ${why}, and its outcome was announced at ${record.announced_at}.`, EXIT.error);
  }

  const event = objectCreatedEvent({
    bucket: record.source.bucket,
    key: record.source.key,
    ...(record.source.version_id ? { versionId: record.source.version_id } : {}),
    ...(record.source.etag ? { eTag: record.source.etag } : {}),
    ...(record.source.bytes !== undefined ? { size: record.source.bytes } : {}),
  });
  const answer = await target.lambda.send(new InvokeCommand({
    FunctionName: target.functionName,
    InvocationType: 'Event',
    Payload: Buffer.from(JSON.stringify(event)),
  }));
  if (answer.StatusCode !== 202) {
    return done(command, target, record, false, `Image ${imageId} was not replayed: the invoke answered ${answer.StatusCode}, not 202.`, EXIT.error);
  }
  const what = announceOnly
    ? `it ended ${record.status} but its outcome was never announced: the function announces it now`
    : `the function runs it again now from s3://${record.source.bucket}/${record.source.key}`
      + (record.lease_expires_at && Date.parse(record.lease_expires_at) > Date.now()
        ? ` (another attempt's claim holds until ${record.lease_expires_at}; Lambda's retries carry the event past it)`
        : '');
  return done(command, target, record, true, `Replayed image ${imageId} to ${target.functionName}: ${what}.\nFollow with: imgopt status ${imageId}${env}`, EXIT.ok);
}

function done(command: ParsedCommand, target: Target, record: ImageRecord, replayed: boolean, text: string, code: number): number {
  if (command.global.json) {
    process.stdout.write(`${JSON.stringify({ function: target.functionName, image_id: record.image_id, status: record.status, replayed }, null, 2)}\n`);
  } else {
    process.stdout.write(`${text}\n`);
  }
  return code;
}
