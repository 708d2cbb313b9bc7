import { Testing } from 'cdktf';
import { IConstruct } from 'constructs';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontOriginAccessIdentity } from '@cdktf/provider-aws/lib/cloudfront-origin-access-identity';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { stackName } from '../../lib/naming';
import { PolicyViolationError, suppressPolicy } from '../../policies/policy-pack';
import { RULES } from '../../policies/rules';
import { ImageOptimizationStack } from '../../stacks/image-optimization-stack';
import { testSettings } from '../support/synth';

function freshStack(): ImageOptimizationStack {
  return new ImageOptimizationStack(Testing.app(), stackName('dev'), testSettings('dev'));
}

function first<T extends IConstruct>(stack: ImageOptimizationStack, type: abstract new (...args: never[]) => T, path?: string): T {
  const found = stack.node.findAll().find((c): c is T => c instanceof type && (!path || c.node.path.includes(path)));
  if (!found) throw new Error(`no ${type.name} in the stack`);
  return found;
}

function violationsOf(stack: ImageOptimizationStack): PolicyViolationError {
  try {
    Testing.synth(stack);
  } catch (error) {
    if (error instanceof PolicyViolationError) return error;
    throw error;
  }
  throw new Error('expected the policy pack to fail synthesis');
}

/** One way to break each rule, starting from a compliant stack. */
const BREAKERS: Record<string, { path: RegExp; break: (stack: ImageOptimizationStack) => void }> = {
  'IMG-S3-PUBLIC': {
    path: /image-optimization-dev\/uploads\/bucket:.*aws_s3_bucket_public_access_block with all four flags true/,
    break: (stack) => first(stack, S3BucketPublicAccessBlock, 'uploads').addOverride('block_public_policy', false),
  },
  'IMG-ENCRYPTION': {
    path: /image-optimization-dev\/processor\/failure-queue:.*sqs_managed_sse_enabled/,
    break: (stack) => first(stack, SqsQueue).addOverride('sqs_managed_sse_enabled', false),
  },
  'IMG-S3-TLS': {
    path: /image-optimization-dev\/optimized\/png\/bucket:.*denying s3:\*/,
    break: (stack) =>
      first(stack, S3BucketPolicy, 'optimized/png').addOverride(
        'policy',
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: '*' }] }),
      ),
  },
  'IMG-CDN-OAC': {
    path: /image-optimization-dev\/cdn\/legacy-oai:.*Origin Access Identity/,
    break: (stack) => new CloudfrontOriginAccessIdentity(first(stack, CloudfrontDistribution).node.scope!, 'legacy-oai', {}),
  },
  'IMG-CDN-HTTPS': {
    path: /image-optimization-dev\/cdn\/distribution:.*cache behavior \/webp\/\* allows viewer_protocol_policy allow-all/,
    break: (stack) => first(stack, CloudfrontDistribution).addOverride('ordered_cache_behavior.1.viewer_protocol_policy', 'allow-all'),
  },
  'IMG-IAM-WILDCARD': {
    path: /image-optimization-dev\/processor\/permissions-policy:.*wildcard actions s3:\*/,
    break: (stack) =>
      first(stack, IamRolePolicy).addOverride(
        'policy',
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'TooMuch', Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }] }),
      ),
  },
  'IMG-LOG-RETENTION': {
    path: /image-optimization-dev\/processor\/log-group:.*retention_in_days/,
    break: (stack) => first(stack, CloudwatchLogGroup).addOverride('retention_in_days', 0),
  },
  'IMG-LAMBDA-FAILURE': {
    path: /image-optimization-dev\/processor\/function:.*no on-failure destination/,
    // The invoke config (with its destination) now belongs to another function.
    break: (stack) => first(stack, LambdaFunctionEventInvokeConfig).addOverride('function_name', 'some-other-function'),
  },
  'IMG-SNS-PUBLISH': {
    path: /image-optimization-dev\/outcomes\/topic:.*sets no kms_master_key_id/,
    break: (stack) => first(stack, SnsTopic, 'outcomes').addOverride('kms_master_key_id', ''),
  },
  'IMG-DDB-PITR': {
    path: /image-optimization-dev\/metadata\/table:.*point_in_time_recovery/,
    break: (stack) => first(stack, DynamodbTable).addOverride('point_in_time_recovery.enabled', false),
  },
};

describe('policy pack', () => {
  test('passes the stacks as built', () => {
    for (const suffix of ['dev', 'staging', 'prod', 'pr3515']) {
      expect(() => Testing.synth(new ImageOptimizationStack(Testing.app(), stackName(suffix), testSettings(suffix)))).not.toThrow();
    }
  });

  test('has a way to break every rule tested here', () => {
    expect(Object.keys(BREAKERS).sort()).toEqual(RULES.map((rule) => rule.id).sort());
  });

  test.each(RULES.map((rule) => [rule.id]))('fails synthesis with %s and the resource path when its rule is broken', (ruleId) => {
    const stack = freshStack();
    BREAKERS[ruleId].break(stack);
    const error = violationsOf(stack);
    expect(error.violations.map((v) => v.ruleId)).toEqual([ruleId]);
    expect(error.message).toMatch(new RegExp(`^Policy check failed for image-optimization-dev: 1 violation\\n  \\[${ruleId}\\] `));
    expect(error.message).toMatch(BREAKERS[ruleId].path);
  });

  test('IMG-SNS-PUBLISH also fails a publish on a topic outside the stack, and a topic anyone may publish to', () => {
    const foreign = freshStack();
    first(foreign, IamRolePolicy).addOverride('policy', JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'Elsewhere', Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:aws:sns:eu-west-1:123456789012:someone-elses' }],
    }));
    expect(violationsOf(foreign).message).toMatch(/\[IMG-SNS-PUBLISH\] .*Elsewhere allows sns:Publish on arn:aws:sns:eu-west-1:123456789012:someone-elses/);

    const open = freshStack();
    first(open, SnsTopicPolicy, 'outcomes').addOverride('policy', JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: '*' }],
    }));
    expect(violationsOf(open).message).toMatch(/\[IMG-SNS-PUBLISH\] image-optimization-dev\/outcomes\/topic: no topic policy denies sns:Publish/);
  });

  test('reports every violation at once', () => {
    const stack = freshStack();
    BREAKERS['IMG-DDB-PITR'].break(stack);
    BREAKERS['IMG-ENCRYPTION'].break(stack);
    expect(violationsOf(stack).violations.map((v) => v.ruleId)).toEqual(['IMG-ENCRYPTION', 'IMG-DDB-PITR']);
  });

  test('fails the synthesis of the whole app (cdktf synth), not only the test helper', () => {
    const app = Testing.app();
    const stack = new ImageOptimizationStack(app, stackName('dev'), testSettings('dev'));
    BREAKERS['IMG-DDB-PITR'].break(stack);
    expect(() => app.synth()).toThrow(/\[IMG-DDB-PITR\] image-optimization-dev\/metadata\/table/);
  });

  test('lets a rule be suppressed for a construct with a written reason, and says so', () => {
    const stack = freshStack();
    BREAKERS['IMG-DDB-PITR'].break(stack);
    const table = first(stack, DynamodbTable);
    suppressPolicy(table, 'IMG-DDB-PITR', 'scratch table rebuilt from the uploads bucket on every deploy');
    expect(() => Testing.synth(stack)).not.toThrow();
    expect(table.node.metadata.map((m) => m.data)).toContain(
      'Policy IMG-DDB-PITR suppressed: scratch table rebuilt from the uploads bucket on every deploy',
    );
  });

  test('a suppression covers what is under the construct, and only the rule it names', () => {
    const stack = freshStack();
    BREAKERS['IMG-DDB-PITR'].break(stack);
    BREAKERS['IMG-ENCRYPTION'].break(stack);
    suppressPolicy(first(stack, DynamodbTable).node.scope!, 'IMG-DDB-PITR', 'the whole metadata construct is disposable here');
    expect(violationsOf(stack).violations.map((v) => v.ruleId)).toEqual(['IMG-ENCRYPTION']);
  });

  test('fails a suppression without a written reason', () => {
    const table = first(freshStack(), DynamodbTable);
    expect(() => suppressPolicy(table, 'IMG-DDB-PITR', '')).toThrow(
      /^Suppressing IMG-DDB-PITR on image-optimization-dev\/metadata\/table needs a written reason of at least 20 characters/,
    );
    expect(() => suppressPolicy(table, 'IMG-DDB-PITR', 'because')).toThrow(/needs a written reason/);
  });

  test('fails a suppression of a rule that does not exist', () => {
    expect(() => suppressPolicy(first(freshStack(), LambdaFunction), 'IMG-NOPE', 'a perfectly good reason for it')).toThrow(
      /^Cannot suppress unknown policy rule IMG-NOPE on image-optimization-dev\/processor\/function/,
    );
  });
});
