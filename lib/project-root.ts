/** The project folder, for what reads or writes files in it (the local data folder, cdktf.out, .build). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder holding cdktf.json, found upwards from here (this file also runs from a bundle under .build/). */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'cdktf.json'))) return dir;
  }
  throw new Error(`Cannot find the project folder (with cdktf.json) above ${start}`);
}
