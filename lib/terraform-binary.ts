/** Where the `terraform` binary is: used by plan review, the tests and the command line (`--env` reads outputs). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The terraform binary on the PATH (or `TERRAFORM_BINARY`), or undefined. */
export function terraformBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TERRAFORM_BINARY) return fs.existsSync(env.TERRAFORM_BINARY) ? env.TERRAFORM_BINARY : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'terraform');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
