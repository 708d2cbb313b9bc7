/**
 * Structured JSON logs: one line per event, with the image id, bucket and key. Never image bytes or credentials.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export class Log {
  constructor(private readonly base: LogFields = {}, private readonly write: (line: string) => void = (line) => console.log(line)) {}

  with(fields: LogFields): Log {
    return new Log({ ...this.base, ...fields }, this.write);
  }

  info(message: string, fields: LogFields = {}): void {
    this.emit('INFO', message, fields);
  }

  warn(message: string, fields: LogFields = {}): void {
    this.emit('WARN', message, fields);
  }

  error(message: string, fields: LogFields = {}): void {
    this.emit('ERROR', message, fields);
  }

  private emit(level: string, message: string, fields: LogFields): void {
    this.write(JSON.stringify({ level, message, ...this.base, ...fields }));
  }
}
