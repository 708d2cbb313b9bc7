/**
 * `npm run bench`: how long synthesis and the unit suite take, and how much memory synthesis peaks at, each next to
 * a baseline measured in the same run on the same machine (these machines are shared and noisy: read the ratios);
 * then what the image processor costs per image and per variant (measure/bench-images.ts, docs/benchmarks.md).
 *
 *   synth        `node bin/synth.js` (what `npm run synth` and cdktf.json run), every environment
 *   baseline     the same process shape synthesizing one empty stack: Node + cdktf + writing cdktf.out
 *   cdktf CLI    `cdktf synth`, for comparison with the direct path
 *   unit suite   jest without the terraform plan suite, against jest running one trivial suite
 *   images       every image of a folder, each in its own process, against the naive and Pillow baselines
 *   archive      the handler's cold start from the unzipped deployment archive, against require('sharp') alone
 *   animation    an animated upload at the edge of the animation budget, against its first-frame-only render
 *   quality      quality target mode on the real photos: today's fixed settings, fixed settings calibrated to the
 *                worst photo, and per-image targeting, every rendition scored (measure/bench-targeting.ts)
 *
 * Options: --only synth|images|grid|animation|archive|quality (default: synth then images; grid, the encoder-settings
 * grid, animation, archive and quality only when asked; --quality-photos L2,M3 limits quality to the photos whose
 * names start so; archive, the handler's start from the deployment archive alone, which
 * images also measures); --memory MB (default 512) the function memory whose animation budget is filled;
 * --runs N (default 5) synth runs per measurement; --skip-cli; --skip-jest; --images <folder> (default
 * ../shared/images when present, else generated photo-like images); --image-runs N (default 3) runs on the ~12 MP
 * photo; --archive-runs N (default 5) cold handler starts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { archiveTarget } from './bench-archive';
import { benchAnimation } from './bench-animation';
import { benchGrid, benchImages } from './bench-images';
import { benchQuality } from './bench-targeting';
import { targetLine } from './bench-table';

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, '.build', 'bench');

interface Sample {
  readonly seconds: number;
  readonly peakMb: number;
}

const SECTIONS = ['synth', 'images', 'grid', 'animation', 'archive', 'quality'] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  sections: Section[];
  runs: number;
  cli: boolean;
  jest: boolean;
  images?: string;
  imageRuns: number;
  archiveRuns: number;
  memoryMb?: number;
  qualityPhotos?: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { sections: ['synth', 'images'], runs: 5, cli: true, jest: true, imageRuns: 3, archiveRuns: 5 };
  const count = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer, received ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--runs') options.runs = count(arg, argv[++i]);
    else if (arg === '--image-runs') options.imageRuns = count(arg, argv[++i]);
    else if (arg === '--archive-runs') options.archiveRuns = count(arg, argv[++i]);
    else if (arg === '--memory') options.memoryMb = count(arg, argv[++i]);
    else if (arg === '--quality-photos') options.qualityPhotos = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--skip-cli') options.cli = false;
    else if (arg === '--skip-jest') options.jest = false;
    else if (arg === '--images') {
      const folder = argv[++i];
      if (!folder) throw new Error('--images expects a folder');
      options.images = path.resolve(folder);
    } else if (arg === '--only') {
      const section = argv[++i];
      if (!(SECTIONS as readonly string[]).includes(section)) throw new Error(`--only expects one of ${SECTIONS.join(', ')}, received ${section}`);
      options.sections = [section as Section];
    } else {
      throw new Error(`Unknown option ${arg} (expected --only ${SECTIONS.join('|')}, --runs N, --skip-cli, --skip-jest, --images <folder>, --image-runs N, --archive-runs N, --memory MB, --quality-photos L2,M3)`);
    }
  }
  return options;
}

/** Runs a command, timing it and reading the peak RSS the Node process reports as it exits. */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Sample {
  const rssFile = path.join(WORK, `rss-${process.pid}.txt`);
  fs.rmSync(rssFile, { force: true });
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: '1',
      CDKTF_DISABLE_PLUGIN_CACHE_ENV: 'true',
      NODE_OPTIONS: `--require ${path.join(WORK, 'report-rss.js')}`,
      BENCH_RSS_FILE: rssFile,
      ...env,
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr || result.stdout}`);
  // Every Node process in the command appends its peak; the largest is the one that did the work.
  const peaks = fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8').trim().split('\n').map(Number) : [0];
  return { seconds, peakMb: Math.max(...peaks) / 1024 };
}

function median(samples: Sample[]): Sample {
  const by = <K extends keyof Sample>(key: K) => samples.map((s) => s[key]).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  return { seconds: by('seconds'), peakMb: by('peakMb') };
}

function repeat(runs: number, label: string, run: () => Sample): Sample {
  const samples: Sample[] = [];
  const tty = process.stderr.isTTY;
  for (let i = 0; i < runs; i += 1) {
    if (tty) process.stderr.write(`\r${label}: run ${i + 1}/${runs}   `);
    samples.push(run());
  }
  if (tty) process.stderr.write('\r\x1b[K');
  return median(samples);
}

function row(name: string, sample: Sample, baseline?: Sample): string {
  const ratio = baseline ? `  ${(sample.seconds / baseline.seconds).toFixed(1)}x time, ${(sample.peakMb / baseline.peakMb).toFixed(1)}x memory of baseline` : '';
  return `${name.padEnd(34)} ${sample.seconds.toFixed(2).padStart(6)} s ${sample.peakMb.toFixed(0).padStart(5)} MB${ratio}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.sections.includes('synth')) benchSynth(options);
  if (options.sections.includes('images')) await benchImages({ images: options.images, runs: options.imageRuns, archiveRuns: options.archiveRuns });
  if (options.sections.includes('grid')) await benchGrid({ images: options.images });
  if (options.sections.includes('animation')) await benchAnimation({ memoryMb: options.memoryMb });
  if (options.sections.includes('archive')) benchArchive(options.archiveRuns);
  if (options.sections.includes('quality')) {
    await benchQuality({ images: options.images ?? path.resolve(ROOT, '..', 'shared', 'images'), photos: options.qualityPhotos });
  }
}

/** `--only archive`: the handler's cold start from the deployment archive alone (target 5, ~1 min). */
function benchArchive(runs: number): void {
  const buildDir = process.env.IMAGE_OPT_BUILD_DIR ?? path.join(ROOT, '.build');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-archive-'));
  try {
    console.log(targetLine(archiveTarget(buildDir, runs, work)));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function benchSynth(options: Options): void {
  fs.mkdirSync(WORK, { recursive: true });
  fs.writeFileSync(
    path.join(WORK, 'report-rss.js'),
    "process.on('exit', () => require('node:fs').appendFileSync(process.env.BENCH_RSS_FILE, process.resourceUsage().maxRSS + '\\n'));\n",
  );
  fs.writeFileSync(
    path.join(WORK, 'empty-stack.js'),
    "const { App, TerraformStack } = require('cdktf');\nconst app = new App();\nnew TerraformStack(app, 'empty');\napp.synth();\n",
  );
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-out-'));
  const out = (name: string) => ({ CDKTF_OUTDIR: path.join(outdir, name), IMAGE_OPT_OFFLINE: '1' });
  const stacks = (name: string) => fs.readdirSync(path.join(outdir, name, 'stacks')).length;

  try {
    console.log(`Benchmark on ${os.cpus().length} cores, Node ${process.version}, medians of ${options.runs} runs\n`);
    const baseline = repeat(options.runs, 'baseline', () => measure(process.execPath, [path.join(WORK, 'empty-stack.js')], out('empty')));
    const synth = repeat(options.runs, 'synth', () => measure(process.execPath, [path.join(ROOT, 'bin', 'synth.js')], out('app')));
    console.log(row('baseline: one empty stack', baseline));
    console.log(row(`synth: ${stacks('app')} stacks (npm run synth)`, synth, baseline));
    if (options.cli) {
      const cli = repeat(1, 'cdktf synth', () =>
        measure(path.join(ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', path.join(outdir, 'cli')], out('cli')),
      );
      console.log(row('cdktf synth (CLI, one run)', cli, baseline));
    }
    console.log(`target: synth under 3 s ... ${synth.seconds < 3 ? 'met' : 'MISSED'} (${synth.seconds.toFixed(2)} s)`);

    if (options.jest) {
      const jest = path.join(ROOT, 'node_modules', '.bin', 'jest');
      const trivial = measure(jest, ['__tests__/zip.test.ts']);
      const unit = measure(jest, ['--testPathIgnorePatterns', 'terraform']);
      console.log('');
      console.log(row('baseline: jest, one trivial suite', trivial));
      console.log(row('unit suite (terraform excluded)', unit, trivial));
      console.log(`target: unit suite under 60 s ... ${unit.seconds < 60 ? 'met' : 'MISSED'} (${unit.seconds.toFixed(1)} s)`);
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
