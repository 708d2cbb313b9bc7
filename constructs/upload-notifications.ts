import { Construct } from 'constructs';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { uploadSuffixes } from '../lib/formats';

export interface UploadNotificationsProps {
  /** Name (id) of the upload bucket. */
  readonly bucketName: string;
  readonly bucketArn: string;
  /** Account that owns the bucket: with the ARN, it stops a re-created bucket of the same name elsewhere invoking. */
  readonly bucketAccountId: string;
  readonly functionName: string;
  readonly functionArn: string;
}

/**
 * Invokes the processor for every new object whose key ends in a supported extension, in any letter case:
 * S3 suffix filters are case-sensitive, so `.jpg`, `.JPG` and `.Jpg` are separate filters (96 in all).
 * The invoke permission comes first: S3 checks it when the notification is put.
 */
export class UploadNotifications extends Construct {
  public readonly permission: LambdaPermission;
  public readonly notification: S3BucketNotification;

  constructor(scope: Construct, id: string, props: UploadNotificationsProps) {
    super(scope, id);

    this.permission = new LambdaPermission(this, 'permission', {
      statementId: 'AllowUploadBucketInvoke',
      action: 'lambda:InvokeFunction',
      functionName: props.functionName,
      principal: 's3.amazonaws.com',
      sourceArn: props.bucketArn,
      sourceAccount: props.bucketAccountId,
    });

    this.notification = new S3BucketNotification(this, 'notification', {
      bucket: props.bucketName,
      lambdaFunction: uploadSuffixes().map((suffix) => ({
        id: notificationId(suffix),
        lambdaFunctionArn: props.functionArn,
        events: ['s3:ObjectCreated:*'],
        filterSuffix: suffix,
      })),
      dependsOn: [this.permission],
    });
  }
}

/**
 * A configuration id that stays unique even where ids compare without case: `.jPg` is `process-jpg-010`, the digits
 * marking which letters are upper case.
 */
function notificationId(suffix: string): string {
  const extension = suffix.slice(1);
  const mask = [...extension].map((letter) => (letter === letter.toLowerCase() ? '0' : '1')).join('');
  return `process-${extension.toLowerCase()}-${mask}`;
}
