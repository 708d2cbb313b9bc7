import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** The command line as a user runs it: `bin/imgopt.js` in its own Node process. */
export const IMGOPT_BIN = path.resolve(__dirname, '..', '..', 'bin', 'imgopt.js');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A Node process with these arguments, its output collected. */
export function runNode(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runImgopt(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return runNode([IMGOPT_BIN, ...args], options);
}
