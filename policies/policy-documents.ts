/**
 * IAM policy documents, read the same way whether a policy is an `aws_iam_policy_document` data source or a
 * literal JSON string.
 */
import { Element, StackView, blocks, list } from './stack-view';

export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  /** `*` for anyone, else `Type:identifier` pairs such as `Service:cloudfront.amazonaws.com`. */
  readonly principals: string[];
  readonly conditions: { test: string; variable: string; values: string[] }[];
}

/** The statements of a policy value, or undefined when they cannot be read at synth time. */
export function policyStatements(view: StackView, policy: unknown): Statement[] | undefined {
  const document = view.referenced(policy);
  if (document) return document.type === 'aws_iam_policy_document' ? documentStatements(document) : undefined;
  if (typeof policy !== 'string') return undefined;
  try {
    return jsonStatements(JSON.parse(policy));
  } catch {
    return undefined;
  }
}

export function documentStatements(document: Element): Statement[] {
  return blocks(document.config.statement).map((statement) => ({
    sid: statement.sid,
    effect: statement.effect === 'Deny' ? 'Deny' : 'Allow',
    actions: list(statement.actions),
    notActions: list(statement.not_actions),
    resources: list(statement.resources),
    notResources: list(statement.not_resources),
    principals: blocks(statement.principals).flatMap((principal) =>
      list(principal.identifiers).map((identifier) =>
        principal.type === '*' || (principal.type === 'AWS' && identifier === '*') ? '*' : `${principal.type}:${identifier}`,
      ),
    ),
    conditions: blocks(statement.condition).map((condition) => ({
      test: String(condition.test),
      variable: String(condition.variable),
      values: list(condition.values),
    })),
  }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function jsonStatements(document: any): Statement[] {
  return blocks(document?.Statement).map((statement) => {
    const principal = statement.Principal;
    const principals =
      principal === undefined
        ? []
        : principal === '*'
          ? ['*']
          : Object.entries(principal as Record<string, unknown>).flatMap(([type, ids]) =>
              list(ids).map((id) => (type === 'AWS' && id === '*' ? '*' : `${type}:${id}`)),
            );
    const conditions = Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap(
      ([test, byVariable]) => Object.entries(byVariable).map(([variable, values]) => ({ test, variable, values: list(values) })),
    );
    return {
      sid: statement.Sid,
      effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
      actions: list(statement.Action),
      notActions: list(statement.NotAction),
      resources: list(statement.Resource),
      notResources: list(statement.NotResource),
      principals,
      conditions,
    };
  });
}
