/**
 * The function's log and metric lines as Lambda's JSON log format takes them: every line the function writes to
 * stdout or stderr that is a JSON object is one log event as it is; Embedded Metric Format lines are the ones with
 * `_aws`. Anything else written (jest's own output) passes through.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export interface FunctionOutput {
  /** Every captured line, parsed, in the order written. */
  readonly lines: Json[];
  /** The log events: lines with a `level`. */
  logs(): Json[];
  /** The Embedded Metric Format lines. */
  metrics(): Json[];
  /** Forgets what was captured so far. */
  clear(): void;
}

/** Captures from now on, until `jest.restoreAllMocks()`. */
export function captureFunctionOutput(): FunctionOutput {
  const lines: Json[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.startsWith('{')) return write(chunk, ...rest);
      for (const line of text.split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      return true;
    }) as typeof stream.write);
  }
  return {
    lines,
    logs: () => lines.filter((line) => 'level' in line),
    metrics: () => lines.filter((line) => '_aws' in line),
    clear: () => void lines.splice(0),
  };
}
