/**
 * Every parameter problem in one shape, as sharp words its own: `Expected <what is allowed> for <parameter> but
 * received <value>`. The settings, the variant preset, resource names and the command line build their messages
 * here, so whoever reads one knows how to read them all.
 */

/**
 * @param parameter what was given: `processor memoryMb`, `environment suffix`, `--limit`
 * @param allowed what would have been accepted: `an integer from 128 to 10240`
 * @param detail why the value falls short, when the value alone does not say: `69 characters`
 * @example expected('--limit', 'a whole number from 1 to 1000', '0') // Expected a whole number from 1 to 1000 for --limit but received "0"
 */
export function expected(parameter: string, allowed: string, received: unknown, detail?: string): string {
  return `Expected ${allowed} for ${parameter} but received ${shown(received)}${detail ? ` (${detail})` : ''}`;
}

/** An integer from `min` to `max`; no problem when the value is not set. */
export function integerProblems(parameter: string, value: number | undefined, min: number, max: number): string[] {
  if (value === undefined || (Number.isInteger(value) && value >= min && value <= max)) return [];
  return [expected(parameter, `an integer from ${min} to ${max}`, value)];
}

/** One of the allowed values. */
export function oneOfProblems<T>(parameter: string, value: T, allowed: readonly T[]): string[] {
  return allowed.includes(value) ? [] : [expected(parameter, `one of ${allowed.join(', ')}`, value)];
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
