import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import {
  S3BucketLifecycleConfiguration,
  S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { denyInsecureTransport } from './policy-statements';

export interface PrivateBucketProps {
  readonly bucketName: string;
  /**
   * Let `terraform destroy` delete the bucket with its objects.
   *
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * Keep every version of every object; old versions expire after `noncurrentVersionDays`.
   *
   * @default false
   */
  readonly versioned?: boolean;
  /**
   * Days a noncurrent version is kept, when `versioned`.
   *
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
  /**
   * Days after which an unfinished multipart upload is aborted.
   *
   * @default 7
   */
  readonly abortMultipartDays?: number;
}

/**
 * An S3 bucket that nobody outside the account can read or write: public access blocked (all four flags), ACLs
 * disabled (bucket owner enforced), SSE-S3 encryption by default, a bucket policy that denies any request not made
 * over TLS, and unfinished multipart uploads aborted. Readers are added with `allowCloudFrontRead`.
 */
export class PrivateBucket extends Construct {
  public readonly bucket: S3Bucket;
  /** The bucket's name. */
  public readonly name: string;
  public readonly arn: string;
  /** Regional domain name, the one CloudFront's OAC signs requests for. */
  public readonly regionalDomainName: string;
  /** The versioning resource, when the bucket is versioned. */
  public readonly versioning?: S3BucketVersioningA;
  private readonly statements: DataAwsIamPolicyDocumentStatement[] = [];
  private readonly policyDocument: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);

    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
    });
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.regionalDomainName = this.bucket.bucketRegionalDomainName;

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });

    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });

    const rules: S3BucketLifecycleConfigurationRule[] = [
      {
        id: 'abort-incomplete-multipart-uploads',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortMultipartDays ?? 7 }],
      },
    ];
    if (props.versioned) {
      this.versioning = new S3BucketVersioningA(this, 'versioning', {
        bucket: this.bucket.id,
        versioningConfiguration: { status: 'Enabled' },
      });
      rules.push({
        id: 'expire-noncurrent-versions',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 30 }],
        expiration: [{ expiredObjectDeleteMarker: true }],
      });
    }
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: rules,
      // Lifecycle rules about noncurrent versions are only accepted once versioning is on.
      dependsOn: this.versioning ? [this.versioning] : undefined,
    });

    this.statements.push(denyInsecureTransport('s3', [this.bucket.arn, `${this.bucket.arn}/*`]));

    // Every grant after construction puts the whole list again (`allowCloudFrontRead`), so readers granted later
    // land in the same policy. A typed list, not a Lazy of JSON-shaped statements: `cdktf synth --hcl` renders
    // those as attributes (`condition = [...]`), which Terraform rejects where it expects blocks.
    this.policyDocument = new DataAwsIamPolicyDocument(this, 'policy-document', { statement: [...this.statements] });

    new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: this.policyDocument.json,
      // A policy put before the public access block exists could be judged public and rejected.
      dependsOn: [publicAccessBlock],
    });
  }

  /** Lets one CloudFront distribution (through its Origin Access Control) read the bucket's objects. */
  public allowCloudFrontRead(distributionArn: string): void {
    this.statements.push({
      sid: 'AllowCloudFrontRead',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
      actions: ['s3:GetObject'],
      resources: [`${this.bucket.arn}/*`],
      condition: [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [distributionArn] }],
    });
    this.policyDocument.putStatement([...this.statements]);
  }
}
