/** Finding the Terraform provider mirror on a machine without a path to the Terraform registry. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The folder holding a `registry.terraform.io` provider mirror, searched for as .ci/run does (four levels below
 * the root), so a machine like CI's needs no setting; undefined when there is none (Terraform then downloads).
 */
export function findProviderMirror(): string | undefined {
  const run = spawnSync('find', ['/', '-maxdepth', '4', '-type', 'd', '-name', 'registry.terraform.io'], { encoding: 'utf8', timeout: 30_000 });
  const found = (run.stdout ?? '').split('\n').find((line) => line && fs.existsSync(path.join(line, 'hashicorp', 'aws')));
  return found ? path.dirname(found) : undefined;
}

