/**
 * The outcome topic in the synthesized stack: encrypted, only the processor publishes (its role's sns:Publish names
 * this one topic, and the topic's policy denies everyone else), the function knows its ARN and the CDN's URL, and
 * the optional failures-only email subscription carries its filter policy.
 */
import { FUNCTION_ENV } from '../../lib/function-environment';
import { FAILURES_ONLY_FILTER_POLICY } from '../../lib/outcomes';
import { Json, only, ref, resources, synthStack, testSettings } from '../support/synth';

function outcomeTopic(synth: Json): [string, Json] {
  const found = Object.entries(resources(synth, 'aws_sns_topic')).filter(([, topic]) => topic.name === 'acme-img-outcomes-dev');
  expect(found).toHaveLength(1);
  return found[0];
}

function statements(synth: Json, documentReference: string): Record<string, Json> {
  const id = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(documentReference)![1];
  return Object.fromEntries((synth.data.aws_iam_policy_document[id].statement as Json[]).map((statement) => [statement.sid, statement]));
}

describe('the outcome topic', () => {
  const dev = synthStack(testSettings('dev'));
  const [topicId, topic] = outcomeTopic(dev);
  const [roleId] = only(dev, 'aws_iam_role');
  const [, fn] = only(dev, 'aws_lambda_function');
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:acme-img-outcomes-dev';

  test('is encrypted with the AWS managed key for SNS', () => {
    expect(topic).toMatchObject({ name: 'acme-img-outcomes-dev', kms_master_key_id: 'alias/aws/sns' });
  });

  test('lets only the processor publish, the account subscribe, and nothing over plain HTTP', () => {
    const [, policy] = Object.entries(resources(dev, 'aws_sns_topic_policy')).find(([, p]) => p.arn === ref('aws_sns_topic', topicId, 'arn'))!;
    const byId = statements(dev, policy.policy);
    const role = ref('aws_iam_role', roleId, 'arn');
    expect(byId.ProcessorPublishes).toMatchObject({ effect: 'Allow', actions: ['sns:Publish'], principals: [{ type: 'AWS', identifiers: [role] }] });
    expect(byId.OnlyTheProcessorPublishes).toMatchObject({
      effect: 'Deny',
      actions: ['sns:Publish'],
      principals: [{ type: 'AWS', identifiers: ['*'] }],
      condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [role] }],
    });
    expect(byId.AccountManagesAndSubscribes.actions).toContain('sns:Subscribe');
    expect(byId.AccountManagesAndSubscribes.actions).not.toContain('sns:Publish');
    expect(byId.DenyInsecureTransport).toMatchObject({ effect: 'Deny', condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] });
  });

  test('the processor\'s role may publish to that one topic and no other', () => {
    const [, rolePolicy] = only(dev, 'aws_iam_role_policy');
    const publishes = Object.values(statements(dev, rolePolicy.policy)).filter((s) => (s.actions as string[]).some((a) => a.startsWith('sns:')));
    expect(publishes).toEqual([expect.objectContaining({ sid: 'AnnounceOutcomes', actions: ['sns:Publish'], resources: [topicArn] })]);
  });

  test('the function is told the topic, the CDN URL, the lease and when an upload is stuck', () => {
    const variables = fn.environment.variables as Record<string, string>;
    expect(variables[FUNCTION_ENV.outcomeTopicArn]).toBe(topicArn);
    const [distributionId] = only(dev, 'aws_cloudfront_distribution');
    expect(variables[FUNCTION_ENV.cdnUrl]).toBe(`https://${ref('aws_cloudfront_distribution', distributionId, 'domain_name')}`);
    expect(variables[FUNCTION_ENV.leaseSeconds]).toBe('30');
    expect(Number(variables[FUNCTION_ENV.stuckAfterSeconds])).toBe(fn.timeout + 300);
  });

  test('is an output, and has no subscription unless a failure email is set', () => {
    expect(dev.output.outcome_topic_arn.value).toBe(ref('aws_sns_topic', topicId, 'arn'));
    const emails = Object.values(resources(dev, 'aws_sns_topic_subscription')).filter((s) => s.topic_arn === ref('aws_sns_topic', topicId, 'arn'));
    expect(emails).toEqual([]);
  });

  test('sends failures only to the failure email, by a filter policy on the status attribute', () => {
    const synth = synthStack(testSettings('dev', undefined, { failureEmail: 'oncall@example.com' }));
    const [id] = outcomeTopic(synth);
    const subscriptions = Object.values(resources(synth, 'aws_sns_topic_subscription')).filter((s) => s.topic_arn === ref('aws_sns_topic', id, 'arn'));
    expect(subscriptions).toEqual([{
      topic_arn: ref('aws_sns_topic', id, 'arn'),
      protocol: 'email',
      endpoint: 'oncall@example.com',
      filter_policy_scope: 'MessageAttributes',
      filter_policy: JSON.stringify(FAILURES_ONLY_FILTER_POLICY),
    }]);
    expect(JSON.parse(subscriptions[0].filter_policy)).toEqual({ status: ['FAILED'] });
  });

  test('refuses a failure email that is not an address', () => {
    expect(() => testSettings('dev', undefined, { failureEmail: 'oncall' })).toThrow('dev: Expected an email address for failure email but received "oncall"');
  });
});
