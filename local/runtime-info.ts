/**
 * Where the local runtime keeps its data, and `<data>/runtime.json`: what a running runtime tells the command line
 * (endpoints, names, its process id). The file exists while the runtime runs, is created exclusively (so a second
 * runtime on the same data folder is refused), and is removed when the runtime stops.
 *
 * Kept free of heavy imports: the command line reads it on every call.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { envName, envSetting } from '../lib/env';
import { PROJECT_ROOT } from '../lib/project-root';

/** Environment variable that moves the data folder. */
export const DATA_DIR_ENV = envName('DATA_DIR');

/** The data folder: the explicit option, then `IMAGE_OPT_DATA_DIR`, then `.local-data/` in the project. */
export function resolveDataDir(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(option || envSetting(env, 'DATA_DIR') || path.join(PROJECT_ROOT, '.local-data'));
}

export interface RuntimeInfo {
  /** `starting` while the runtime boots; the command line waits for `ready`. */
  readonly state: 'starting' | 'ready';
  readonly pid: number;
  readonly startedAt: string;
  readonly dataDir: string;
  readonly environment?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly s3Endpoint?: string;
  readonly dynamodbEndpoint?: string;
  /** The Lambda Invoke API of the local function (what `imgopt replay` invokes). */
  readonly lambdaEndpoint?: string;
  readonly edgeUrl?: string;
  /** The console's page (local/console/), when this runtime serves one. */
  readonly consoleUrl?: string;
  readonly uploadBucket?: string;
  readonly outputBuckets?: Readonly<Record<string, string>>;
  readonly table?: string;
  readonly functionName?: string;
  readonly functionArn?: string;
  readonly failureQueueDir?: string;
  /** Where the outcome notifications are kept, one JSON file each (local/notifications.ts). */
  readonly notificationsDir?: string;
  /** The topic the function announces outcomes on. */
  readonly outcomeTopicArn?: string;
  /** After how long an upload still PROCESSING is stuck (the function's STUCK_AFTER_SECONDS). */
  readonly stuckAfterSeconds?: number;
  readonly logFile?: string;
}

export type ReadyRuntimeInfo = Required<Omit<RuntimeInfo, 'consoleUrl'>> & Pick<RuntimeInfo, 'consoleUrl'> & { readonly state: 'ready' };

export function runtimeInfoPath(dataDir: string): string {
  return path.join(dataDir, 'runtime.json');
}

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The runtime using this data folder, or undefined when none runs there (no file, or its process is gone). */
export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  let info: RuntimeInfo;
  try {
    info = JSON.parse(fs.readFileSync(runtimeInfoPath(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
  return Number.isInteger(info.pid) && processAlive(info.pid) ? info : undefined;
}

/**
 * Claims the data folder for this process: creates runtime.json exclusively, replacing a stale one left by a
 * runtime that is gone. Returns the pid of the live runtime that holds it instead, if any.
 */
export function claimDataDir(dataDir: string, info: RuntimeInfo): { heldBy?: number } {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = runtimeInfoPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`, { flag: 'wx' });
      return {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readRuntimeInfo(dataDir);
    if (holder) return { heldBy: holder.pid };
    fs.rmSync(file, { force: true });
  }
  return { heldBy: readRuntimeInfo(dataDir)?.pid ?? -1 };
}

/** Rewrites runtime.json in place (atomically: readers never see half a file). */
export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): void {
  const file = runtimeInfoPath(dataDir);
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(staging, file);
}

/** Removes runtime.json if it is this process's. */
export function releaseDataDir(dataDir: string, pid: number = process.pid): void {
  try {
    const info = JSON.parse(fs.readFileSync(runtimeInfoPath(dataDir), 'utf8')) as RuntimeInfo;
    if (info.pid === pid) fs.rmSync(runtimeInfoPath(dataDir), { force: true });
  } catch {
    // Already gone.
  }
}
