/**
 * Handler start from the deployment archive: the x86_64 zip unzipped into an empty folder, and `require('index.js')`
 * (loading sharp and creating the SDK clients) timed by measure/invoke-archive.js under Lambda's Node (22), in a new
 * process each time. The event has no records, so the invocation ends at once: only `loadMs` is wanted. Its
 * baseline: `require('sharp')` alone from the same folder, in the same kind of process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { bundleProcessor } from '../packaging/bundle';
import { lambdaNode } from './lambda-node';
import { TargetResult, mb, median, ms, progress } from './bench-table';

/** Target 5 (docs/benchmarks.md): the median cold `require` of the handler from the archive. */
const ARCHIVE_START_TARGET_MS = 300;

export interface ArchiveStart {
  readonly node: string;
  readonly archiveBytes: number;
  readonly loadMs: number[];
  readonly medianMs: number;
  /** `require('sharp')` alone, median. */
  readonly sharpOnlyMs: number;
}

export function measureArchiveStart(buildDir: string, workDir: string, runs: number): ArchiveStart | { unavailable: string } {
  const lookup = lambdaNode('x86_64', buildDir);
  if (!('node' in lookup)) return { unavailable: lookup.unavailable };
  progress('handler start: building the x86_64 archive (cached when nothing changed)');
  const archive = bundleProcessor({ architecture: 'x86_64', buildDir });
  const dir = path.join(workDir, 'archive-x86_64');
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, data] of Object.entries(unzipSync(fs.readFileSync(archive.zipPath)))) {
    if (name.endsWith('/')) continue;
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
  const eventFile = path.join(workDir, 'no-records.json');
  fs.writeFileSync(eventFile, JSON.stringify({ Records: [] }));
  const script = path.join(__dirname, 'invoke-archive.js');
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  };
  const sharpOnly = `const t = process.hrtime.bigint(); require(${JSON.stringify(path.join(dir, 'node_modules', 'sharp'))}); ` +
    'console.log(Number(process.hrtime.bigint() - t) / 1e6)';
  const loadMs: number[] = [];
  const sharpOnlyMs: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    progress(`handler start: cold process ${run + 1}/${runs} (${lookup.node.description})`);
    const resultFile = path.join(workDir, `archive-result-${run}.json`);
    const child = spawnSync(lookup.node.command, [...lookup.node.prefix, script, dir, eventFile, resultFile], {
      encoding: 'utf8',
      // A clean environment, as Lambda's: nothing of this process (NODE_OPTIONS, esbuild-register) leaks in.
      env,
      timeout: 60_000,
    });
    if (!fs.existsSync(resultFile)) throw new Error(`invoke-archive.js wrote no result (exit ${child.status}): ${child.stderr || child.stdout}`);
    loadMs.push((JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { loadMs: number }).loadMs);
    const baseline = spawnSync(lookup.node.command, [...lookup.node.prefix, '-e', sharpOnly], { encoding: 'utf8', env, timeout: 60_000 });
    sharpOnlyMs.push(Number(baseline.stdout.trim()));
  }
  return { node: lookup.node.description, archiveBytes: archive.bytes, loadMs, medianMs: median(loadMs), sharpOnlyMs: median(sharpOnlyMs) };
}

/** Target 5 as a PASS/FAIL line: `npm run bench -- --only archive`, and part of the image section. */
export function archiveTarget(buildDir: string, runs: number, work: string): TargetResult {
  const name = `5. handler start from the unzipped x86_64 archive under Node 22 (sharp and the SDK clients) under ${ARCHIVE_START_TARGET_MS} ms`;
  const start = measureArchiveStart(buildDir, work, runs);
  if ('unavailable' in start) return { name, verdict: 'SKIP', detail: start.unavailable };
  return {
    name,
    verdict: start.medianMs < ARCHIVE_START_TARGET_MS ? 'PASS' : 'FAIL',
    detail: `median loadMs ${ms(start.medianMs)} of ${runs} cold process${runs === 1 ? '' : 'es'} (${start.loadMs.map((v) => v.toFixed(0)).join(', ')} ms; ` +
      `${start.node}, archive ${mb(start.archiveBytes)}); baseline require('sharp') alone ${ms(start.sharpOnlyMs)}`,
  };
}
