/** IAM policy statements the stack's resource policies share. */
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

/**
 * Denies every action of `service` on `resources` to anyone not using TLS: the statement the policy pack's TLS
 * rules look for (buckets, the failure queue, the outcome topic).
 */
export function denyInsecureTransport(service: 's3' | 'sqs' | 'sns', resources: string[]): DataAwsIamPolicyDocumentStatement {
  return {
    sid: 'DenyInsecureTransport',
    effect: 'Deny',
    principals: [{ type: '*', identifiers: ['*'] }],
    actions: [`${service}:*`],
    resources,
    condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
  };
}
