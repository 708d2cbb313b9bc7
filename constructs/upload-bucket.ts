import { Construct } from 'constructs';
import { S3BucketAccelerateConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-accelerate-configuration';
import { S3BucketCorsConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-cors-configuration';
import { PrivateBucket } from './private-bucket';

export interface UploadBucketProps {
  readonly bucketName: string;
  /** @default false */
  readonly forceDestroy?: boolean;
  /**
   * Days a replaced or deleted upload's old version is kept.
   *
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
  /** @default 7 */
  readonly abortMultipartDays?: number;
  /**
   * Origins allowed to upload from a browser with presigned PUT or POST requests.
   *
   * @default ['*']
   */
  readonly corsAllowedOrigins?: readonly string[];
}

/**
 * The bucket users upload originals to: a `PrivateBucket`, versioned (so an overwrite keeps the old original until it
 * expires), with transfer acceleration for distant uploaders and CORS for browser uploads, each its own resource.
 */
export class UploadBucket extends PrivateBucket {
  public readonly accelerate: S3BucketAccelerateConfiguration;
  public readonly cors: S3BucketCorsConfiguration;

  constructor(scope: Construct, id: string, props: UploadBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      forceDestroy: props.forceDestroy,
      abortMultipartDays: props.abortMultipartDays,
      versioned: true,
      noncurrentVersionDays: props.noncurrentVersionDays,
    });

    this.accelerate = new S3BucketAccelerateConfiguration(this, 'accelerate', {
      bucket: this.bucket.id,
      status: 'Enabled',
    });

    this.cors = new S3BucketCorsConfiguration(this, 'cors', {
      bucket: this.bucket.id,
      corsRule: [
        {
          id: 'browser-uploads',
          allowedMethods: ['PUT', 'POST'],
          allowedOrigins: [...(props.corsAllowedOrigins ?? ['*'])],
          allowedHeaders: ['*'],
          // The uploader reads these to learn the object's identity, which the image id is derived from.
          exposeHeaders: ['ETag', 'x-amz-version-id'],
          maxAgeSeconds: 3000,
        },
      ],
    });
  }
}
