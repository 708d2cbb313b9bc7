/**
 * The security rules every stack must pass at synth time. Each rule has a stable id: violations name it, and a
 * suppression must name it together with a written reason.
 */
import { Statement, documentStatements, policyStatements } from './policy-documents';
import { Element, StackView, blocks } from './stack-view';

export interface Violation {
  readonly ruleId: string;
  readonly element: Element;
  readonly message: string;
}

export interface PolicyRule {
  readonly id: string;
  /** What the rule demands, in one sentence. */
  readonly description: string;
  check(view: StackView): Violation[];
}

/**
 * Actions that AWS authorizes only against `"Resource": "*"` (no resource-level permissions), so an allow of them
 * on `*` is not a wildcard grant.
 */
export const ACTIONS_REQUIRING_ANY_RESOURCE: readonly string[] = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'cloudwatch:PutMetricData',
];

function violation(ruleId: string, element: Element, message: string): Violation {
  return { ruleId, element, message };
}

const TLS_ONLY = (statement: Statement, service: string) =>
  statement.effect === 'Deny' &&
  statement.principals.includes('*') &&
  statement.actions.some((action) => action === '*' || action === `${service}:*`) &&
  statement.conditions.some(
    (condition) =>
      condition.test === 'Bool' && condition.variable.toLowerCase() === 'aws:securetransport' && condition.values.includes('false'),
  );

function bucketPolicies(view: StackView, bucket: Element): Element[] {
  return view.referencing('aws_s3_bucket_policy', 'bucket', bucket);
}

export const NO_PUBLIC_BUCKETS: PolicyRule = {
  id: 'IMG-S3-PUBLIC',
  description: 'Every S3 bucket blocks public access with all four flags, grants no public ACL and no anonymous read',
  check(view) {
    const found: Violation[] = [];
    for (const bucket of view.resources('aws_s3_bucket')) {
      const blocksForBucket = view.referencing('aws_s3_bucket_public_access_block', 'bucket', bucket);
      const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
      if (!blocksForBucket.some((block) => flags.every((flag) => block.config[flag] === true))) {
        found.push(violation(this.id, bucket, 'bucket has no aws_s3_bucket_public_access_block with all four flags true'));
      }
      if (['public-read', 'public-read-write', 'authenticated-read'].includes(bucket.config.acl)) {
        found.push(violation(this.id, bucket, `bucket has the public ACL ${bucket.config.acl}`));
      }
      for (const acl of view.referencing('aws_s3_bucket_acl', 'bucket', bucket)) {
        if (['public-read', 'public-read-write', 'authenticated-read'].includes(acl.config.acl)) {
          found.push(violation(this.id, acl, `bucket ACL ${acl.config.acl} makes the bucket public`));
        }
      }
      for (const policy of bucketPolicies(view, bucket)) {
        const anonymous = (policyStatements(view, policy.config.policy) ?? []).filter(
          (statement) => statement.effect === 'Allow' && statement.principals.includes('*') && statement.conditions.length === 0,
        );
        if (anonymous.length > 0) found.push(violation(this.id, policy, 'bucket policy allows anyone (Principal "*") without a condition'));
      }
    }
    return found;
  },
};

export const ENCRYPTION_AT_REST: PolicyRule = {
  id: 'IMG-ENCRYPTION',
  description: 'Every S3 bucket, SQS queue and DynamoDB table is encrypted at rest',
  check(view) {
    const found: Violation[] = [];
    for (const bucket of view.resources('aws_s3_bucket')) {
      const configured = view
        .referencing('aws_s3_bucket_server_side_encryption_configuration', 'bucket', bucket)
        .some((encryption) =>
          blocks(encryption.config.rule).some((rule) => blocks(rule.apply_server_side_encryption_by_default).some((d) => d.sse_algorithm)),
        );
      if (!configured) found.push(violation(this.id, bucket, 'bucket has no default server-side encryption configuration'));
    }
    for (const queue of view.resources('aws_sqs_queue')) {
      if (queue.config.sqs_managed_sse_enabled !== true && !queue.config.kms_master_key_id) {
        found.push(violation(this.id, queue, 'queue sets neither sqs_managed_sse_enabled nor kms_master_key_id'));
      }
    }
    for (const table of view.resources('aws_dynamodb_table')) {
      if (!blocks(table.config.server_side_encryption).some((sse) => sse.enabled === true)) {
        found.push(violation(this.id, table, 'table does not enable server_side_encryption'));
      }
    }
    return found;
  },
};

export const TLS_ONLY_BUCKETS: PolicyRule = {
  id: 'IMG-S3-TLS',
  description: 'Every S3 bucket has a bucket policy denying requests not made over TLS',
  check(view) {
    const found: Violation[] = [];
    for (const bucket of view.resources('aws_s3_bucket')) {
      const policies = bucketPolicies(view, bucket);
      const enforced = policies.some((policy) =>
        (policyStatements(view, policy.config.policy) ?? []).some((statement) => TLS_ONLY(statement, 's3')),
      );
      if (!enforced) {
        const why = policies.length === 0 ? 'bucket has no bucket policy' : 'bucket policy has no statement';
        found.push(violation(this.id, bucket, `${why} denying s3:* when aws:SecureTransport is false`));
      }
    }
    return found;
  },
};

export const ORIGIN_ACCESS_CONTROL: PolicyRule = {
  id: 'IMG-CDN-OAC',
  description: 'CloudFront reaches S3 origins through Origin Access Control, never a legacy Origin Access Identity',
  check(view) {
    const found: Violation[] = view
      .resources('aws_cloudfront_origin_access_identity')
      .map((oai) => violation(this.id, oai, 'legacy Origin Access Identity: use an aws_cloudfront_origin_access_control'));
    for (const distribution of view.resources('aws_cloudfront_distribution')) {
      for (const origin of blocks(distribution.config.origin)) {
        const s3 = view.referenced(origin.domain_name)?.type === 'aws_s3_bucket' || /\.s3[.-]/.test(String(origin.domain_name));
        if (!s3) continue;
        if (!origin.origin_access_control_id) {
          found.push(violation(this.id, distribution, `S3 origin ${origin.origin_id} has no origin_access_control_id`));
        }
        if (blocks(origin.s3_origin_config).some((config) => config.origin_access_identity)) {
          found.push(violation(this.id, distribution, `S3 origin ${origin.origin_id} uses an Origin Access Identity`));
        }
      }
    }
    for (const oac of view.resources('aws_cloudfront_origin_access_control')) {
      if (oac.config.signing_behavior !== 'always') {
        found.push(violation(this.id, oac, `signing_behavior is ${oac.config.signing_behavior}, expected always`));
      }
    }
    return found;
  },
};

export const HTTPS_ONLY: PolicyRule = {
  id: 'IMG-CDN-HTTPS',
  description: 'Viewers reach CloudFront over HTTPS only (redirect or https-only), with TLS 1.2 or newer on custom domains',
  check(view) {
    const found: Violation[] = [];
    for (const distribution of view.resources('aws_cloudfront_distribution')) {
      const behaviors = [
        ...blocks(distribution.config.default_cache_behavior).map((behavior) => ({ ...behavior, path_pattern: 'default' })),
        ...blocks(distribution.config.ordered_cache_behavior),
      ] as Record<string, string>[];
      for (const behavior of behaviors) {
        if (!['redirect-to-https', 'https-only'].includes(behavior.viewer_protocol_policy)) {
          found.push(violation(this.id, distribution,
            `cache behavior ${behavior.path_pattern} allows viewer_protocol_policy ${behavior.viewer_protocol_policy}`));
        }
      }
      for (const origin of blocks(distribution.config.origin)) {
        for (const custom of blocks(origin.custom_origin_config)) {
          if (custom.origin_protocol_policy !== 'https-only') {
            found.push(violation(this.id, distribution, `origin ${origin.origin_id} is reached with ${custom.origin_protocol_policy}`));
          }
        }
      }
      for (const certificate of blocks(distribution.config.viewer_certificate)) {
        if (certificate.acm_certificate_arn && !/^TLSv1\.2_/.test(String(certificate.minimum_protocol_version))) {
          found.push(violation(this.id, distribution, `minimum_protocol_version ${certificate.minimum_protocol_version} is older than TLS 1.2`));
        }
      }
    }
    return found;
  },
};

export const NO_WILDCARD_IAM: PolicyRule = {
  id: 'IMG-IAM-WILDCARD',
  description: 'IAM allows name their actions (no "*" in an action) and their resources ("*" only for actions that accept nothing else)',
  check(view) {
    const found: Violation[] = [];
    const checkStatements = (element: Element, statements: Statement[]) => {
      for (const statement of statements.filter((s) => s.effect === 'Allow')) {
        const label = statement.sid ? `statement ${statement.sid}` : 'a statement';
        const wildcards = statement.actions.filter((action) => action.includes('*'));
        if (wildcards.length > 0) found.push(violation(this.id, element, `${label} allows wildcard actions ${wildcards.join(', ')}`));
        if (statement.notActions.length > 0) found.push(violation(this.id, element, `${label} allows everything but NotAction`));
        if (statement.notResources.length > 0) found.push(violation(this.id, element, `${label} allows every resource but NotResource`));
        const unscoped = statement.actions.filter((action) => !ACTIONS_REQUIRING_ANY_RESOURCE.includes(action));
        if (statement.resources.includes('*') && unscoped.length > 0) {
          found.push(violation(this.id, element, `${label} allows ${unscoped.join(', ')} on every resource ("*")`));
        }
      }
    };
    for (const document of view.data('aws_iam_policy_document')) checkStatements(document, documentStatements(document));
    for (const type of ['aws_iam_role_policy', 'aws_iam_policy']) {
      for (const policy of view.resources(type)) {
        if (view.referenced(policy.config.policy)) continue; // a policy document data source, checked above
        const statements = policyStatements(view, policy.config.policy);
        if (statements) checkStatements(policy, statements);
        else found.push(violation(this.id, policy, 'policy cannot be read at synth time, so it cannot be checked'));
      }
    }
    for (const attachment of view.resources('aws_iam_role_policy_attachment')) {
      if (/:policy\/(AdministratorAccess|PowerUserAccess|.*FullAccess)$/.test(String(attachment.config.policy_arn))) {
        found.push(violation(this.id, attachment, `attaches the broad managed policy ${attachment.config.policy_arn}`));
      }
    }
    return found;
  },
};

export const LOG_RETENTION: PolicyRule = {
  id: 'IMG-LOG-RETENTION',
  description: 'Every log group has a retention period, and every Lambda function logs to a log group the stack manages',
  check(view) {
    const found: Violation[] = [];
    const groups = view.resources('aws_cloudwatch_log_group');
    for (const group of groups) {
      if (!(Number(group.config.retention_in_days) > 0)) found.push(violation(this.id, group, 'log group has no retention_in_days'));
    }
    for (const fn of view.resources('aws_lambda_function')) {
      const configured = blocks(fn.config.logging_config).map((logging) => logging.log_group)[0];
      const managed =
        groups.some((group) => view.referenced(configured) === group) ||
        groups.some((group) => group.config.name === (configured ?? `/aws/lambda/${fn.config.function_name}`));
      if (!managed) found.push(violation(this.id, fn, 'function logs to a log group the stack does not manage (Lambda would create one that keeps logs forever)'));
    }
    return found;
  },
};

export const FAILURE_DESTINATION: PolicyRule = {
  id: 'IMG-LAMBDA-FAILURE',
  description: 'Every Lambda function sends failed asynchronous events to an on-failure destination or a dead-letter queue',
  check(view) {
    const found: Violation[] = [];
    for (const fn of view.resources('aws_lambda_function')) {
      const hasDeadLetter = blocks(fn.config.dead_letter_config).some((dlq) => dlq.target_arn);
      const hasDestination = view
        .resources('aws_lambda_function_event_invoke_config')
        .filter((config) => view.referenced(config.config.function_name) === fn || config.config.function_name === fn.config.function_name)
        .some((config) =>
          blocks(config.config.destination_config).some((destination) => blocks(destination.on_failure).some((onFailure) => onFailure.destination)),
        );
      if (!hasDeadLetter && !hasDestination) {
        found.push(violation(this.id, fn, 'function has no on-failure destination (aws_lambda_function_event_invoke_config) and no dead-letter queue'));
      }
    }
    return found;
  },
};

export const POINT_IN_TIME_RECOVERY: PolicyRule = {
  id: 'IMG-DDB-PITR',
  description: 'Every DynamoDB table has point-in-time recovery on',
  check(view) {
    return view
      .resources('aws_dynamodb_table')
      .filter((table) => !blocks(table.config.point_in_time_recovery).some((pitr) => pitr.enabled === true))
      .map((table) => violation(this.id, table, 'table does not enable point_in_time_recovery'));
  },
};

/**
 * Topics that functions publish to carry application data (image ids, keys, URLs), unlike the alarm topics, which
 * CloudWatch publishes to (and which cannot use the AWS managed key). Such a topic is encrypted, the publish is
 * granted on that one topic, and the topic's own policy denies `sns:Publish` to every other principal.
 */
export const SCOPED_TOPIC_PUBLISH: PolicyRule = {
  id: 'IMG-SNS-PUBLISH',
  description: 'sns:Publish is granted on named topics of the stack only; each such topic is encrypted and its policy denies publishing to anyone else',
  check(view) {
    const found: Violation[] = [];
    const published = new Set<Element>();
    const grants: Array<[Element, Statement[]]> = [
      ...view.data('aws_iam_policy_document').map((document): [Element, Statement[]] => [document, documentStatements(document)]),
      ...['aws_iam_role_policy', 'aws_iam_policy'].flatMap((type) => view.resources(type)
        .filter((policy) => !view.referenced(policy.config.policy))
        .map((policy): [Element, Statement[]] => [policy, policyStatements(view, policy.config.policy) ?? []])),
    ];
    // Topic policies grant publishing too, but they are checked below as the topic's own gate.
    const topicPolicyDocuments = new Set(view.resources('aws_sns_topic_policy').map((policy) => view.referenced(policy.config.policy)));
    for (const [element, statements] of grants) {
      if (topicPolicyDocuments.has(element)) continue;
      for (const statement of statements.filter((s) => s.effect === 'Allow' && s.actions.some((action) => /^sns:(Publish|\*)$/.test(action)))) {
        for (const resource of statement.resources) {
          const topic = view.resources('aws_sns_topic').find((candidate) =>
            view.referenced(resource) === candidate || (typeof candidate.config.name === 'string' && resource.endsWith(`:${candidate.config.name}`)));
          if (topic) published.add(topic);
          else found.push(violation(this.id, element, `${statement.sid ?? 'a statement'} allows sns:Publish on ${resource}, which is not a topic of this stack`));
        }
      }
    }
    for (const topic of published) {
      if (!topic.config.kms_master_key_id) found.push(violation(this.id, topic, 'a function publishes to this topic, but it sets no kms_master_key_id'));
      const gated = view.referencing('aws_sns_topic_policy', 'arn', topic).some((policy) =>
        (policyStatements(view, policy.config.policy) ?? []).some((statement) =>
          statement.effect === 'Deny' && statement.actions.includes('sns:Publish') && statement.principals.includes('*')
          && statement.conditions.some((condition) => /^aws:principalarn$/i.test(condition.variable) && /NotEquals/.test(condition.test))));
      if (!gated) found.push(violation(this.id, topic, 'no topic policy denies sns:Publish to every principal but the publisher (aws:PrincipalArn)'));
    }
    return found;
  },
};

/** The project's rules, in the order violations are reported. */
export const RULES: readonly PolicyRule[] = [
  NO_PUBLIC_BUCKETS,
  ENCRYPTION_AT_REST,
  TLS_ONLY_BUCKETS,
  ORIGIN_ACCESS_CONTROL,
  HTTPS_ONLY,
  NO_WILDCARD_IAM,
  LOG_RETENTION,
  FAILURE_DESTINATION,
  POINT_IN_TIME_RECOVERY,
  SCOPED_TOPIC_PUBLISH,
];
