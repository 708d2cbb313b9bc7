import { Construct } from 'constructs';
import { OUTPUT_FORMATS, OutputFormat } from '../lib/formats';
import { PrivateBucket } from './private-bucket';

export interface OptimizedBucketsProps {
  /** Bucket name per output format. */
  readonly bucketNames: Readonly<Record<OutputFormat, string>>;
  /** @default false */
  readonly forceDestroy?: boolean;
}

/**
 * One private bucket per output format (AVIF, WebP, JPEG, PNG). Nothing reads them but the CDN, once
 * `allowCloudFrontRead` is called with the distribution's ARN.
 */
export class OptimizedBuckets extends Construct {
  public readonly buckets: Readonly<Record<OutputFormat, PrivateBucket>>;

  constructor(scope: Construct, id: string, props: OptimizedBucketsProps) {
    super(scope, id);
    const entries = OUTPUT_FORMATS.map((format) => [
      format,
      new PrivateBucket(this, format, { bucketName: props.bucketNames[format], forceDestroy: props.forceDestroy }),
    ]);
    this.buckets = Object.fromEntries(entries) as Record<OutputFormat, PrivateBucket>;
  }

  /** Lets the distribution read every format's objects (OAC-signed requests carrying its ARN only). */
  public allowCloudFrontRead(distributionArn: string): void {
    for (const bucket of Object.values(this.buckets)) bucket.allowCloudFrontRead(distributionArn);
  }
}
