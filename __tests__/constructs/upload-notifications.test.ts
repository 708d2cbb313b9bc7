import { UploadNotifications } from '../../constructs/upload-notifications';
import { uploadSuffixes } from '../../lib/formats';
import { only, synthScope } from '../support/synth';

describe('UploadNotifications', () => {
  const synth = synthScope(
    (scope) =>
      new UploadNotifications(scope, 'notifications', {
        bucketName: 'a-uploads-dev',
        bucketArn: 'arn:aws:s3:::a-uploads-dev',
        bucketAccountId: '123456789012',
        functionName: 'a-processor-dev',
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:a-processor-dev',
      }),
  );
  const [permissionId, permission] = only(synth, 'aws_lambda_permission');
  const [, notification] = only(synth, 'aws_s3_bucket_notification');

  test('lets only this bucket in this account invoke the function', () => {
    expect(permission).toEqual({
      statement_id: 'AllowUploadBucketInvoke',
      action: 'lambda:InvokeFunction',
      function_name: 'a-processor-dev',
      principal: 's3.amazonaws.com',
      source_arn: 'arn:aws:s3:::a-uploads-dev',
      source_account: '123456789012',
    });
  });

  test('is put only after the permission exists', () => {
    expect(notification.depends_on).toEqual([`aws_lambda_permission.${permissionId}`]);
  });

  test('fires on ObjectCreated for every supported extension in every letter case', () => {
    const configurations = notification.lambda_function as { filter_suffix: string; events: string[]; id: string }[];
    const suffixes = configurations.map((c) => c.filter_suffix);
    expect(suffixes).toEqual(uploadSuffixes());
    expect(suffixes).toEqual(expect.arrayContaining(['.jpg', '.JPG', '.Jpeg', '.JPEG', '.png', '.PnG', '.webp', '.GIF', '.avif', '.tif', '.TIFF']));
    for (const configuration of configurations) expect(configuration.events).toEqual(['s3:ObjectCreated:*']);
    expect(new Set(configurations.map((c) => c.id.toLowerCase())).size).toBe(configurations.length);
    expect(configurations.find((c) => c.filter_suffix === '.jPg')?.id).toBe('process-jpg-010');
  });
});
