/**
 * The processor's Lambda entry point.
 *
 * This build carries the event intake only: it reads every record, derives each image id and logs it, then fails
 * the invocation on purpose, so Lambda's retries end on the failure queue and every upload stays there for replay
 * once the image pipeline ships. Nothing is dropped and nothing is reported as processed that was not.
 */
import type { Context, S3Event } from 'aws-lambda';
import { readFunctionConfig } from '../../lib/function-environment';
import { uploadsFromEvent } from './event';

export class PipelineUnavailableError extends Error {
  readonly code = 'PIPELINE_UNAVAILABLE';
}

export async function handler(event: S3Event, context: Context): Promise<never> {
  const config = readFunctionConfig(process.env);
  const uploads = uploadsFromEvent(event);
  for (const upload of uploads) {
    console.log(JSON.stringify({
      level: 'WARN',
      message: 'upload received; image pipeline not in this build, the event goes to the failure queue for replay',
      image_id: upload.imageId,
      bucket: upload.bucket,
      key: upload.key,
      version_id: upload.versionId,
      environment: config.environment,
      request_id: context.awsRequestId,
    }));
  }
  throw new PipelineUnavailableError(`image pipeline not in this build: ${uploads.length} upload(s) left for replay`);
}
