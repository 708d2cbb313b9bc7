/**
 * The processor's bundling hook: esbuild bundles the handler (sharp kept outside), sharp's Linux binaries for the
 * function's architecture are fetched from the npm registry once and cached, and both are packed into a
 * deterministic zip (sorted entries, fixed timestamps), so the same code always yields the same hash and an
 * unchanged function never shows up in `terraform plan`.
 *
 * Synthesis calls `bundleProcessor` (through the stack), so `cdktf synth`, `cdktf deploy` and the tests always
 * package the current code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { Architecture, BUNDLE_TARGET } from '../lib/lambda-runtime';
import { PROJECT_ROOT } from '../lib/project-root';
import { zipEntries } from './zip';

export interface ProcessorBundle {
  /** Absolute path of the zip archive. */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip: Lambda's `source_code_hash`. */
  readonly sourceCodeHash: string;
  readonly bytes: number;
  readonly architecture: Architecture;
  readonly sharpVersion: string;
}

export interface BundleOptions {
  readonly architecture: Architecture;
  /**
   * Where the bundle, the zip and the cached sharp binaries are written.
   *
   * @default - `IMAGE_OPT_BUILD_DIR`, else `.build` in the project
   */
  readonly buildDir?: string;
}

const ENTRY = path.join(PROJECT_ROOT, 'functions', 'processor', 'index.ts');

const bundles = new Map<string, ProcessorBundle>();

/** Builds (or reuses, when nothing changed) the processor's deployment archive for one architecture. */
export function bundleProcessor(options: BundleOptions): ProcessorBundle {
  const buildDir = path.resolve(options.buildDir ?? process.env.IMAGE_OPT_BUILD_DIR ?? path.join(PROJECT_ROOT, '.build'));
  const memoKey = `${buildDir}:${options.architecture}`;
  const known = bundles.get(memoKey);
  if (known) return known;

  fs.mkdirSync(buildDir, { recursive: true });
  const sharpVersion = installedSharpVersion();
  const modules = path.join(ensureSharpBinaries(buildDir, sharpVersion, options.architecture), 'node_modules');
  const packages = listFiles(modules)
    .filter(isPackaged)
    .map((file) => ({ name: `node_modules/${file}`, source: path.join(modules, file) }));

  const bundle = writeZip(buildDir, options.architecture, sharpVersion, bundleHandler(), packages);
  bundles.set(memoKey, bundle);
  return bundle;
}

/** The version of sharp the project installed (its lockfile pins it): the Lambda gets the same one. */
function installedSharpVersion(): string {
  // sharp's `exports` hide its package.json from require.resolve: walk up from its entry point instead.
  let dir = path.dirname(require.resolve('sharp', { paths: [PROJECT_ROOT] }));
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (name === 'sharp') return version;
    }
    dir = path.dirname(dir);
  }
  throw new Error('Cannot find the installed version of sharp: run npm ci');
}

/**
 * The same handler bundle the archive carries, written as `<buildDir>/host/index.js` for this machine's Node to
 * run (the local runtime): `require('sharp')` there resolves to the project's own sharp, built for this platform,
 * so `npm start` works on macOS and Windows as on Linux. Returns the file's absolute path.
 */
export function bundleHandlerForHost(buildDir: string = process.env.IMAGE_OPT_BUILD_DIR ?? path.join(PROJECT_ROOT, '.build')): string {
  const file = path.join(path.resolve(buildDir), 'host', 'index.js');
  const code = bundleHandler();
  const current = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  if (!current || !current.equals(code)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeAtomically(file, code);
  }
  return file;
}

function bundleHandler(): Uint8Array {
  const result = buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    // sharp loads native binaries next to it: it travels as a package in node_modules, not inside the bundle.
    external: ['sharp'],
    keepNames: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  });
  return result.outputFiles[0].contents;
}

/**
 * sharp's JavaScript plus its prebuilt libvips for linux/<arch>/glibc, installed from the npm registry into a
 * cache folder the first time and reused afterwards. The install lands in a temporary folder that is renamed into
 * place, so parallel builds never see half an install.
 */
function ensureSharpBinaries(buildDir: string, version: string, architecture: Architecture): string {
  const cpu = architecture === 'arm64' ? 'arm64' : 'x64';
  const target = path.join(buildDir, 'sharp', `${version}-linux-${cpu}`);
  const platformPackage = path.join('node_modules', '@img', `sharp-linux-${cpu}`, 'package.json');
  if (fs.existsSync(path.join(target, platformPackage))) return target;

  fs.mkdirSync(path.dirname(target), { recursive: true });
  process.stderr.write(`Fetching sharp ${version} for linux-${cpu} from the npm registry (once; cached in ${path.relative(process.cwd(), target) || target})\n`);
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.staging-${cpu}-`));
  try {
    fs.writeFileSync(path.join(staging, 'package.json'), '{"private":true}\n');
    execFileSync(
      'npm',
      ['install', '--prefix', staging, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund',
        '--loglevel=error', '--os=linux', `--cpu=${cpu}`, '--libc=glibc', `sharp@${version}`],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 },
    );
    if (!fs.existsSync(path.join(staging, platformPackage))) {
      throw new Error(`the install finished without @img/sharp-linux-${cpu}`);
    }
    try {
      fs.renameSync(staging, target);
    } catch (error) {
      // Another build finished the same install first: use theirs.
      if (!fs.existsSync(path.join(target, platformPackage))) throw error;
    }
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(`Could not fetch sharp ${version} for linux-${cpu} from the npm registry: ${detail}`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

/** Relative paths of every file under `root`, sorted, with `/` separators. */
function listFiles(root: string, relative = ''): string[] {
  const entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true });
  return entries
    .flatMap((entry) => {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return listFiles(root, child);
      return entry.isFile() ? [child] : [];
    })
    .sort();
}

/** What of the installed packages goes into the function: code and binaries, not docs, types, headers or C++ sources. */
function isPackaged(file: string): boolean {
  if (file === '.package-lock.json' || file.startsWith('.bin/')) return false;
  if (file.startsWith('sharp/src/')) return false;
  if (file.endsWith('.d.ts') || file.endsWith('.map') || file.endsWith('.h')) return false;
  return !(file.endsWith('.md') && !/\/LICENSE[^/]*$/i.test(file));
}

/** A file of the installed packages, read only when the archive has to be written again. */
interface PackagedFile {
  readonly name: string;
  readonly source: string;
}

function writeZip(
  buildDir: string,
  architecture: Architecture,
  sharpVersion: string,
  handler: Uint8Array,
  packages: readonly PackagedFile[],
): ProcessorBundle {
  // The sharp cache folder is written once per version and architecture and never changed in place, so its files'
  // names and sizes identify it: an unchanged synth does not read ~20 MB of binaries just to reuse the archive.
  const digest = createHash('sha256').update(sharpVersion).update('\0').update(handler).update('\0');
  for (const file of packages) digest.update(`${file.name}\0${fs.statSync(file.source).size}\0`);
  const inputsDigest = digest.digest('hex');

  const zipPath = path.join(buildDir, `processor-${architecture}.zip`);
  const recordPath = path.join(buildDir, `processor-${architecture}.json`);
  const record = readRecord(recordPath);
  if (record?.inputsDigest === inputsDigest && fs.existsSync(zipPath)) {
    return { zipPath, sourceCodeHash: record.sourceCodeHash, bytes: record.bytes, architecture, sharpVersion };
  }

  const entries = [{ name: 'index.js', data: handler }, ...packages.map((file) => ({ name: file.name, data: fs.readFileSync(file.source) }))];
  const zip = zipEntries(entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  const sourceCodeHash = createHash('sha256').update(zip).digest('base64');

  writeAtomically(zipPath, zip);
  writeAtomically(recordPath, `${JSON.stringify({ inputsDigest, sourceCodeHash, bytes: zip.length }, null, 2)}\n`);
  return { zipPath, sourceCodeHash, bytes: zip.length, architecture, sharpVersion };
}

/** Parallel builds (jest workers, several stacks) never read a half-written file. */
function writeAtomically(file: string, data: string | Uint8Array): void {
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, data);
  fs.renameSync(staging, file);
}

interface BundleRecord {
  readonly inputsDigest: string;
  readonly sourceCodeHash: string;
  readonly bytes: number;
}

function readRecord(recordPath: string): BundleRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(recordPath, 'utf8')) as BundleRecord;
  } catch {
    return undefined;
  }
}
