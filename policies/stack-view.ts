/**
 * A read-only view of a stack's resources and data sources as they will be synthesized (snake_case, references
 * as `${type.name.attribute}` strings), so policy rules can follow references between resources.
 */
import {
  DefaultTokenResolver,
  StringConcat,
  TerraformDataSource,
  TerraformElement,
  TerraformResource,
  TerraformStack,
  Tokenization,
} from 'cdktf';

export interface Element {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly logicalId: string;
  /** Construct path, as a person reads it: `image-optimization-dev/uploads/bucket`. */
  readonly path: string;
  readonly construct: TerraformElement;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly config: Record<string, any>;
}

const RESOLVER = new DefaultTokenResolver(new StringConcat());
const REFERENCE = /^\$\{(data\.)?([a-z0-9_]+)\.([^.}]+)\.([a-z0-9_]+)\}$/;

export class StackView {
  public readonly elements: readonly Element[];
  private readonly byAddress = new Map<string, Element>();

  constructor(stack: TerraformStack) {
    const elements: Element[] = [];
    for (const node of stack.node.findAll()) {
      const isResource = TerraformResource.isTerraformResource(node);
      if (!isResource && !(node instanceof TerraformDataSource)) continue;
      const element = node as TerraformElement;
      const kind = isResource ? 'resource' : 'data';
      const synthesized = Tokenization.resolve(element.toTerraform(), { scope: stack, resolver: RESOLVER, preparing: false }) as Record<string, Record<string, Record<string, object>>>;
      for (const [type, byId] of Object.entries(synthesized[kind] ?? {})) {
        for (const [logicalId, config] of Object.entries(byId)) {
          const found: Element = { kind, type, logicalId, path: element.node.path, construct: element, config };
          elements.push(found);
          this.byAddress.set(`${kind === 'data' ? 'data.' : ''}${type}.${logicalId}`, found);
        }
      }
    }
    this.elements = elements;
  }

  public resources(type: string): Element[] {
    return this.elements.filter((element) => element.kind === 'resource' && element.type === type);
  }

  public data(type: string): Element[] {
    return this.elements.filter((element) => element.kind === 'data' && element.type === type);
  }

  /** The element a whole-value reference such as `${aws_s3_bucket.x.id}` points at. */
  public referenced(value: unknown): Element | undefined {
    if (typeof value !== 'string') return undefined;
    const match = REFERENCE.exec(value);
    if (!match) return undefined;
    const [, data, type, logicalId] = match;
    return this.byAddress.get(`${data ? 'data.' : ''}${type}.${logicalId}`);
  }

  /** Resources of `type` whose `attribute` refers to `target`. */
  public referencing(type: string, attribute: string, target: Element): Element[] {
    return this.resources(type).filter((element) => this.referenced(element.config[attribute]) === target);
  }
}

/** A nested block as a list, whether it was synthesized as one object, a list, or left out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function blocks(value: unknown): Record<string, any>[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
}

/** A string-or-list field as a list. */
export function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
