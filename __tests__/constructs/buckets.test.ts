import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { OptimizedBuckets } from '../../constructs/optimized-buckets';
import { PrivateBucket } from '../../constructs/private-bucket';
import { UploadBucket } from '../../constructs/upload-bucket';
import { Json, only, ref, resources, synthScope } from '../support/synth';

function hardeningOf(synth: Json, bucketId: string) {
  const matching = (type: string) => Object.values(resources(synth, type)).filter((r) => r.bucket === ref('aws_s3_bucket', bucketId, 'id'));
  return {
    publicAccessBlocks: matching('aws_s3_bucket_public_access_block'),
    encryption: matching('aws_s3_bucket_server_side_encryption_configuration'),
    ownership: matching('aws_s3_bucket_ownership_controls'),
    policies: matching('aws_s3_bucket_policy'),
    lifecycle: matching('aws_s3_bucket_lifecycle_configuration'),
  };
}

describe('PrivateBucket', () => {
  const synth = synthScope((scope) => new PrivateBucket(scope, 'images', { bucketName: 'acme-images-dev' }));
  const [bucketId, bucket] = only(synth, 'aws_s3_bucket');
  const hardening = hardeningOf(synth, bucketId);

  test('blocks public access with all four flags', () => {
    expect(JSON.stringify(synth)).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(hardening.publicAccessBlocks).toHaveLength(1);
  });

  test('encrypts by default, disables ACLs and keeps the bucket on destroy', () => {
    expect(bucket).toEqual({ bucket: 'acme-images-dev', force_destroy: false });
    expect(hardening.encryption[0].rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: true },
    ]);
    expect(hardening.ownership[0].rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  test('denies every request not made over TLS, in a policy put after the public access block', () => {
    const [policy] = hardening.policies;
    const [documentId, document] = only({ resource: synth.data }, 'aws_iam_policy_document');
    expect(policy.policy).toBe(`\${data.aws_iam_policy_document.${documentId}.json}`);
    expect(policy.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
    expect(document.statement).toEqual([
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
        actions: ['s3:*'],
        resources: [ref('aws_s3_bucket', bucketId, 'arn'), `${ref('aws_s3_bucket', bucketId, 'arn')}/*`],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ]);
  });

  test('aborts unfinished multipart uploads', () => {
    expect(hardening.lifecycle[0].rule).toEqual([
      expect.objectContaining({ id: 'abort-incomplete-multipart-uploads', status: 'Enabled', abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
    ]);
  });
});

describe('UploadBucket', () => {
  const synth = synthScope(
    (scope) => new UploadBucket(scope, 'uploads', { bucketName: 'acme-uploads-dev', noncurrentVersionDays: 45, corsAllowedOrigins: ['https://app.example.com'] }),
  );
  const [bucketId] = only(synth, 'aws_s3_bucket');
  const bucketRef = ref('aws_s3_bucket', bucketId, 'id');

  test('has versioning, transfer acceleration and CORS as three separate resources on the bucket', () => {
    const [, versioning] = only(synth, 'aws_s3_bucket_versioning');
    const [, accelerate] = only(synth, 'aws_s3_bucket_accelerate_configuration');
    const [, cors] = only(synth, 'aws_s3_bucket_cors_configuration');
    expect(versioning).toEqual({ bucket: bucketRef, versioning_configuration: { status: 'Enabled' } });
    expect(accelerate).toEqual({ bucket: bucketRef, status: 'Enabled' });
    expect(cors.bucket).toBe(bucketRef);
    expect(cors.cors_rule).toEqual([
      expect.objectContaining({
        allowed_methods: ['PUT', 'POST'],
        allowed_origins: ['https://app.example.com'],
        expose_headers: ['ETag', 'x-amz-version-id'],
      }),
    ]);
  });

  test('expires noncurrent versions once versioning is on', () => {
    const [, lifecycle] = only(synth, 'aws_s3_bucket_lifecycle_configuration');
    expect(lifecycle.rule).toContainEqual(
      expect.objectContaining({ id: 'expire-noncurrent-versions', noncurrent_version_expiration: [{ noncurrent_days: 45 }] }),
    );
    const [versioningId] = only(synth, 'aws_s3_bucket_versioning');
    expect(lifecycle.depends_on).toEqual([`aws_s3_bucket_versioning.${versioningId}`]);
  });

  test('keeps the same hardening as every private bucket', () => {
    const hardening = hardeningOf(synth, bucketId);
    expect(hardening.publicAccessBlocks).toHaveLength(1);
    expect(hardening.encryption).toHaveLength(1);
    expect(hardening.policies).toHaveLength(1);
  });
});

describe('OptimizedBuckets', () => {
  const distributionArn = 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE';
  const synth = synthScope((scope) => {
    const buckets = new OptimizedBuckets(scope, 'optimized', {
      bucketNames: { avif: 'a-avif-dev', webp: 'a-webp-dev', jpeg: 'a-jpeg-dev', png: 'a-png-dev' },
    });
    buckets.allowCloudFrontRead(distributionArn);
  });

  test('makes one private bucket per output format', () => {
    const names = Object.values(resources(synth, 'aws_s3_bucket')).map((b) => b.bucket).sort();
    expect(names).toEqual(['a-avif-dev', 'a-jpeg-dev', 'a-png-dev', 'a-webp-dev']);
    expect(Object.keys(resources(synth, 'aws_s3_bucket_public_access_block'))).toHaveLength(4);
    expect(Object.keys(resources(synth, 'aws_s3_bucket_versioning'))).toHaveLength(0);
  });

  test('lets only the distribution read, through a policy conditioned on its ARN', () => {
    const documents = Object.values(synth.data.aws_iam_policy_document as Record<string, Json>);
    expect(documents).toHaveLength(4);
    for (const document of documents) {
      const read = document.statement.find((s: Json) => s.sid === 'AllowCloudFrontRead');
      expect(read).toEqual({
        sid: 'AllowCloudFrontRead',
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
        actions: ['s3:GetObject'],
        resources: [expect.stringMatching(/^\$\{aws_s3_bucket\..+\.arn\}\/\*$/)],
        condition: [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [distributionArn] }],
      });
      expect(document.statement.filter((s: Json) => s.effect === 'Allow')).toHaveLength(1);
    }
  });
});
