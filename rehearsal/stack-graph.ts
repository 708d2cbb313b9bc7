/**
 * The synthesized stack as a graph of references (`${aws_x.name.attr}`, `${data.aws_x.name.attr}`, depends_on),
 * to find everything that cannot be created once some resources are left out: whatever references them, directly
 * or through other resources and data sources.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StackJson = Record<string, any>;

/** `type.name` of every resource, and `data.type.name` of every data source. */
export function addresses(stack: StackJson): { resources: string[]; data: string[] } {
  const list = (blocks: StackJson | undefined, prefix: string) =>
    Object.entries(blocks ?? {}).flatMap(([type, named]) => Object.keys(named as StackJson).map((name) => `${prefix}${type}.${name}`));
  return { resources: list(stack.resource, ''), data: list(stack.data, 'data.') };
}

const REFERENCE = /\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g;

/** The addresses one block refers to, in its expressions and its depends_on. */
function referencesOf(block: unknown, known: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const text = JSON.stringify(block);
  for (const match of text.matchAll(REFERENCE)) {
    const address = `${match[1] ?? ''}${match[2]}.${match[3]}`;
    if (known.has(address)) found.add(address);
  }
  return found;
}

export interface LeftOut {
  readonly address: string;
  /** The resource type's own gap, or what it references that is left out. */
  readonly reason: string;
}

/**
 * Every resource to leave out: those of the `unsupported` types, then, until nothing changes, every resource or data
 * source that references one left out. Data sources are followed (a policy document naming the distribution makes
 * its bucket policy impossible too) but only resources are returned.
 */
export function leaveOut(stack: StackJson, unsupported: Readonly<Record<string, string>>): LeftOut[] {
  const { resources, data } = addresses(stack);
  const known = new Set([...resources, ...data]);
  const blockOf = (address: string) => {
    const parts = address.split('.');
    return address.startsWith('data.') ? stack.data[parts[1]][parts[2]] : stack.resource[parts[0]][parts[1]];
  };
  const references = new Map([...known].map((address) => [address, referencesOf(blockOf(address), known)]));
  const reasons = new Map<string, string>();
  for (const address of resources) {
    const type = address.split('.')[0];
    if (unsupported[type]) reasons.set(address, unsupported[type]);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const [address, refs] of references) {
      if (reasons.has(address)) continue;
      const blocked = [...refs].filter((ref) => reasons.has(ref));
      if (blocked.length === 0) continue;
      // A data source in between is named through to the resource it waits for, so the reason reads as a resource.
      const via = blocked.map((ref) => (ref.startsWith('data.') ? reasons.get(ref) as string : `references ${ref}`));
      reasons.set(address, [...new Set(via)].join('; '));
      grew = true;
    }
  }
  return resources.filter((address) => reasons.has(address)).map((address) => ({ address, reason: reasons.get(address) as string }));
}
