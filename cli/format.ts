/** How sizes and durations read in the command line's and the runtime's output. Kept free of imports. */

/** `1.2 MB`, `340 kB`, `12 B`. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '?';
  const sign = bytes < 0 ? '-' : '';
  const value = Math.abs(bytes);
  if (value < 1000) return `${sign}${value} B`;
  if (value < 1000 * 1000) return `${sign}${(value / 1000).toFixed(value < 10_000 ? 1 : 0)} kB`;
  return `${sign}${(value / 1000 / 1000).toFixed(1)} MB`;
}

/** `1.0 MB saved (83%)` */
export function formatSaved(saved: number | undefined, source: number | undefined): string {
  if (saved === undefined) return 'savings unknown';
  const percent = source ? ` (${Math.round((saved / source) * 100)}%)` : '';
  return saved >= 0 ? `${formatBytes(saved)} saved${percent}` : `${formatBytes(-saved)} larger than the upload${percent}`;
}

/** `412 ms`, `2.9 s` */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '?';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
