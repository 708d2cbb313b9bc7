/** The local runtime's folders of JSON files (the failure queue, the notifications): one message per file. */
import * as fs from 'node:fs';

/** The `.json` files of a folder, sorted by name (their names sort by time); none when the folder does not exist. */
export function jsonFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
