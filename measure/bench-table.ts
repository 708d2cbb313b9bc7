/**
 * Plain-text tables and number formats for the benchmark's stdout, and its progress lines on stderr.
 */

/** A table with a header rule; columns whose cells all look numeric are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => /^[-+]?[\d.,]+\s*(%|x|ms|s|KB|MB|MP)?$|^-$|^$/.test(row[column] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export const ms = (value: number): string => `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ms`;
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;
export const ratio = (value: number): string => `${value.toFixed(2)}x`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One target's verdict, printed as a PASS/FAIL (or SKIP) line with its numbers. */
export interface TargetResult {
  readonly name: string;
  readonly verdict: 'PASS' | 'FAIL' | 'SKIP';
  readonly detail: string;
}

export function targetLine(result: TargetResult): string {
  return `${result.verdict.padEnd(4)}  ${result.name}: ${result.detail}`;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
