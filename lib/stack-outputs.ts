/**
 * The stack's Terraform outputs: the names the stack writes (stacks/image-optimization-stack.ts), the local runtime
 * reads from the synthesized stack (local/stack.ts) and the command line reads from a deployment (cli/outputs.ts).
 */
import type { OutputFormat } from './formats';

export const STACK_OUTPUTS = {
  uploadBucket: 'upload_bucket',
  distributionDomain: 'cloudfront_distribution',
  distributionId: 'cloudfront_distribution_id',
  table: 'dynamodb_table',
  functionName: 'lambda_function',
  functionArn: 'lambda_function_arn',
  failureQueueUrl: 'failure_queue_url',
  failureQueueArn: 'failure_queue_arn',
  alarmTopicArn: 'alarm_topic_arn',
  outcomeTopicArn: 'outcome_topic_arn',
  dashboardUrl: 'dashboard_url',
} as const;

export type StackOutputName = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS] | `${OutputFormat}_bucket`;

/** The output naming the bucket of one format's variants. */
export function formatBucketOutput<F extends OutputFormat>(format: F): `${F}_bucket` {
  return `${format}_bucket`;
}
