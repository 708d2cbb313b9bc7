/**
 * The outcome topic: one message per upload that ends (lib/outcomes.ts), for applications to subscribe to instead of
 * polling the table.
 *
 * - Encrypted with the AWS managed key for SNS (`alias/aws/sns`): only principals of this account that SNS acts for
 *   can use it, and the processor needs no KMS permission of its own (the managed key's policy grants its use
 *   through SNS to the account).
 * - Its policy lets only the processor's role publish (every other principal is denied `sns:Publish`, IAM
 *   permissions or not), lets the account manage and subscribe to it, and denies anything not over TLS.
 * - An optional email subscription receives failures only (a filter policy on the `status` attribute).
 */
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { FAILURES_ONLY_FILTER_POLICY } from '../lib/outcomes';
import { denyInsecureTransport } from './policy-statements';

/** The AWS managed key for SNS. */
export const SNS_MANAGED_KEY = 'alias/aws/sns';

export interface OutcomeTopicProps {
  readonly topicName: string;
  readonly accountId: string;
  /** ARN of the only role that may publish (the processor's). */
  readonly publisherRoleArn: string;
  /** Receives failed outcomes by email (the address confirms the subscription first). @default - no subscription */
  readonly failureEmail?: string;
}

export class OutcomeTopic extends Construct {
  public readonly topic: SnsTopic;
  public readonly emailSubscription?: SnsTopicSubscription;

  constructor(scope: Construct, id: string, props: OutcomeTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, 'topic', {
      name: props.topicName,
      displayName: 'Image outcomes',
      kmsMasterKeyId: SNS_MANAGED_KEY,
    });

    const document = new DataAwsIamPolicyDocument(this, 'policy-document', {
      statement: [
        {
          sid: 'ProcessorPublishes',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [props.publisherRoleArn] }],
          actions: ['sns:Publish'],
          resources: [this.topic.arn],
        },
        {
          sid: 'OnlyTheProcessorPublishes',
          effect: 'Deny',
          principals: [{ type: 'AWS', identifiers: ['*'] }],
          actions: ['sns:Publish'],
          resources: [this.topic.arn],
          condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [props.publisherRoleArn] }],
        },
        {
          sid: 'AccountManagesAndSubscribes',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${props.accountId}:root`] }],
          actions: [
            'sns:GetTopicAttributes',
            'sns:SetTopicAttributes',
            'sns:Subscribe',
            'sns:ListSubscriptionsByTopic',
            'sns:ListTagsForResource',
          ],
          resources: [this.topic.arn],
        },
        denyInsecureTransport('sns', [this.topic.arn]),
      ],
    });
    new SnsTopicPolicy(this, 'policy', { arn: this.topic.arn, policy: document.json });

    if (props.failureEmail) {
      this.emailSubscription = new SnsTopicSubscription(this, 'failure-email', {
        topicArn: this.topic.arn,
        protocol: 'email',
        endpoint: props.failureEmail,
        filterPolicyScope: 'MessageAttributes',
        filterPolicy: JSON.stringify(FAILURES_ONLY_FILTER_POLICY),
      });
    }
  }
}
