/**
 * Policy as code: an Aspect that checks every stack it is added to against the rules in `rules.ts` and fails
 * synthesis, naming each broken rule's id and the resource's construct path, before anything reaches Terraform.
 *
 * A rule may be waived for one construct (and everything under it) with `suppressPolicy`, which demands a written
 * reason; every waiver in use is reported as a warning on the construct, so it stays visible in `cdktf synth`.
 */
import { Annotations, IAspect, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { PolicyRule, RULES, Violation } from './rules';
import { StackView } from './stack-view';

const SUPPRESSION = 'image-optimization:policy-suppression';
const MIN_REASON_LENGTH = 20;

interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
}

/** Thrown by synthesis when a stack breaks a rule: one line per violation. */
export class PolicyViolationError extends Error {
  constructor(readonly stackName: string, readonly violations: readonly Violation[]) {
    super(
      [
        `Policy check failed for ${stackName}: ${violations.length} violation${violations.length === 1 ? '' : 's'}`,
        ...violations.map((v) => `  [${v.ruleId}] ${v.element.path}: ${v.message}`),
      ].join('\n'),
    );
    this.name = 'PolicyViolationError';
  }
}

/**
 * Waives one rule for a construct and everything under it.
 *
 * @param reason why breaking the rule is right here, in words a reviewer can judge (at least 20 characters)
 */
export function suppressPolicy(scope: IConstruct, ruleId: string, reason: string, rules: readonly PolicyRule[] = RULES): void {
  if (!rules.some((rule) => rule.id === ruleId)) {
    throw new Error(`Cannot suppress unknown policy rule ${ruleId} on ${scope.node.path} (rules: ${rules.map((r) => r.id).join(', ')})`);
  }
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `Suppressing ${ruleId} on ${scope.node.path} needs a written reason of at least ${MIN_REASON_LENGTH} characters, received ${JSON.stringify(reason)}`,
    );
  }
  scope.node.addMetadata(SUPPRESSION, { ruleId, reason: reason.trim() } satisfies Suppression);
}

function suppressionFor(scope: IConstruct, ruleId: string): Suppression | undefined {
  for (const construct of scope.node.scopes.slice().reverse()) {
    const entry = construct.node.metadata.find(
      (metadata) => metadata.type === SUPPRESSION && (metadata.data as Suppression).ruleId === ruleId,
    );
    if (entry) return entry.data as Suppression;
  }
  return undefined;
}

export class PolicyPack implements IAspect {
  constructor(private readonly rules: readonly PolicyRule[] = RULES) {}

  public visit(node: IConstruct): void {
    // The whole stack is checked at once, when the aspect reaches the stack itself: rules follow references
    // between resources, and every violation is reported together.
    if (!TerraformStack.isStack(node)) return;
    const view = new StackView(node);
    const violations: Violation[] = [];
    for (const rule of this.rules) {
      for (const found of rule.check(view)) {
        const suppression = suppressionFor(found.element.construct, found.ruleId);
        if (suppression) {
          Annotations.of(found.element.construct).addWarning(`Policy ${found.ruleId} suppressed: ${suppression.reason}`);
        } else {
          violations.push(found);
        }
      }
    }
    if (violations.length > 0) throw new PolicyViolationError(node.node.id, violations);
  }
}
