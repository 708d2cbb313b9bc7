/**
 * The command line's answers to user mistakes: one line on stderr starting with `imgopt:`, a non-zero exit code,
 * never a stack trace. Each case runs bin/imgopt.js as a user would, with no local runtime started.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { qualityText, variantLines } from '../../cli/images';
import { Run, runImgopt } from '../support/run-imgopt';

const IMAGE_ID = '0123456789abcdef01234567';

let work: string;
let dataDir: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-cli-'));
  dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  fs.writeFileSync(path.join(work, 'photo.jpg'), 'not really a jpeg, but the extension says image');
  fs.writeFileSync(path.join(work, 'notes.txt'), 'hello');
  fs.mkdirSync(path.join(work, 'docs'));
  fs.writeFileSync(path.join(work, 'docs', 'readme.md'), '# nothing to see');
  fs.writeFileSync(path.join(work, 'outputs.json'), JSON.stringify({ 'image-optimization-staging': { upload_bucket: 'b' } }));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function imgopt(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runImgopt(args, { cwd: work, env: { ...process.env, IMAGE_OPT_DATA_DIR: dataDir, IMAGE_OPT_OUTPUTS_FILE: '', IMAGE_OPT_DEBUG: '', ...env } });
}

/** Exit `code` (1, or 2 for a mistake in the command line), nothing on stdout, and one line on stderr matching `message`. */
function expectOneLineError(run: Run, message: RegExp, code = 1): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^imgopt: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('imgopt help', () => {
  test('prints the commands and the way to the local runtime with --help, and with no arguments', async () => {
    const [help, bare] = await Promise.all([imgopt(['--help']), imgopt([])]);
    for (const run of [help, bare]) {
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      for (const command of ['upload', 'fetch', 'status', 'replay', 'report', '--env', '--json', 'npm start']) {
        expect(run.stdout).toContain(command);
      }
    }
  });

  test('prints the package version with --version', async () => {
    const run = await imgopt(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  test('prints a command\'s options with <command> --help and help <command>', async () => {
    const [flag, word] = await Promise.all([imgopt(['fetch', '--help']), imgopt(['help', 'fetch'])]);
    for (const run of [flag, word]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: imgopt fetch <image_id>/);
      expect(run.stdout).toContain('--variant');
      expect(run.stdout).toContain('--accept');
    }
  });
});

describe('imgopt user mistakes', () => {
  test('fails on an unknown command, an unknown option and a missing argument, naming the help', async () => {
    const [command, option, missing, extra] = await Promise.all([
      imgopt(['uplaod', 'photo.jpg']),
      imgopt(['upload', '--bogus', 'photo.jpg']),
      imgopt(['status']),
      imgopt(['report', 'everything']),
    ]);
    expectOneLineError(command, /unknown command "uplaod" \(commands: upload, fetch, status, html, replay, report/, 2);
    expectOneLineError(option, /unknown option '--bogus' for upload \(see imgopt upload --help\)/, 2);
    expectOneLineError(missing, /status needs an image id/, 2);
    expectOneLineError(extra, /report takes no arguments/, 2);
  });

  test('fails on files that are missing or not images, before looking for the runtime', async () => {
    const [missing, notImage, emptyFolder] = await Promise.all([
      imgopt(['upload', 'nowhere.jpg']),
      imgopt(['upload', 'notes.txt']),
      imgopt(['upload', 'docs']),
    ]);
    expectOneLineError(missing, /no such file or folder: nowhere\.jpg/);
    expectOneLineError(notImage, /notes\.txt is not an image \(expected \.jpg, \.jpeg, \.png/);
    expect(emptyFolder.code).toBe(1);
    expect(emptyFolder.stderr).toMatch(/^imgopt: skipping docs\/readme\.md \(not an image\)\nimgopt: no images to upload in docs/);
  });

  test('fails on a malformed image id, format or number', async () => {
    const [id, htmlId, format, limit] = await Promise.all([
      imgopt(['status', 'photo.jpg']),
      imgopt(['html', 'photo.jpg']),
      imgopt(['fetch', IMAGE_ID, '--format', 'bmp']),
      imgopt(['report', '--limit', '0']),
    ]);
    expectOneLineError(id, /Expected 24 hexadecimal characters, as upload prints for image id but received "photo\.jpg"/, 2);
    expectOneLineError(htmlId, /Expected 24 hexadecimal characters, as upload prints for image id but received "photo\.jpg"/, 2);
    expectOneLineError(format, /Expected one of avif, webp, jpeg, png for --format but received "bmp"/, 2);
    expectOneLineError(limit, /Expected a whole number from 1 to 1000 for --limit but received "0"/, 2);
  });

  test('still reads a former IMGOPT_ variable, with a one-line deprecation notice', async () => {
    const run = await imgopt(['status', IMAGE_ID], { IMAGE_OPT_DATA_DIR: undefined, IMGOPT_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('warning: IMGOPT_DATA_DIR is deprecated: set IMAGE_OPT_DATA_DIR instead\nimgopt: the local runtime is not running: start it with npm start\n');
  });

  test('says how to start the local runtime when it is not running, or its process is gone', async () => {
    const notStarted = await imgopt(['status', IMAGE_ID]);
    expectOneLineError(notStarted, /^imgopt: the local runtime is not running: start it with npm start$/);

    // What a runtime killed with SIGKILL leaves behind: runtime.json naming a process that no longer exists.
    const stale = path.join(work, 'stale');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'runtime.json'), JSON.stringify({ state: 'ready', pid: 2 ** 22 + 12345, dataDir: stale }));
    const [gone, upload] = await Promise.all([
      imgopt(['report', '--data-dir', stale]),
      imgopt(['upload', 'photo.jpg', '--data-dir', stale]),
    ]);
    expectOneLineError(gone, /the local runtime is not running: start it with npm start -- --data-dir /);
    expectOneLineError(upload, /the local runtime is not running/);
  });

  test('fails clearly when a deployed environment has no outputs', async () => {
    const [badSuffix, undeployed, noFile, otherStack] = await Promise.all([
      imgopt(['report', '--env', 'Not_Valid']),
      imgopt(['report', '--env', 'qa7']),
      imgopt(['report', '--env', 'staging', '--outputs-file', 'missing.json']),
      imgopt(['report', '--env', 'prod', '--outputs-file', 'outputs.json']),
    ]);
    expectOneLineError(badSuffix, /Expected lower-case letters.* for environment suffix but received "Not_Valid"/, 2);
    expectOneLineError(undeployed, /no outputs for image-optimization-qa7: deploy it first \(cdktf deploy image-optimization-qa7\)/);
    expectOneLineError(noFile, /cannot read the outputs file missing\.json: no such file/);
    expectOneLineError(otherStack, /has no outputs for image-optimization-prod \(it has image-optimization-staging\)/);
  });
});

test('a rendition\'s quality column: measured, predicted, full chroma, fixed mode, lossless', () => {
  expect(qualityText({ format: 'avif', quality: 60, score: 75.54, score_source: 'measured' }).trimEnd()).toBe('q60 ss2 75.5');
  expect(qualityText({ format: 'jpeg', quality: 71, score: 75.1, score_source: 'predicted' }).trimEnd()).toBe('q71 ss2 ~75.1');
  expect(qualityText({ format: 'jpeg', quality: 83, score: 75.51, score_source: 'measured', full_chroma: true }).trimEnd()).toBe('q83 4:4:4 ss2 75.5');
  expect(qualityText({ format: 'webp', quality: 77, score: 75.7, score_source: 'measured', full_chroma: true }).trimEnd()).toBe('q77 sharp YUV ss2 75.7');
  expect(qualityText({ format: 'jpeg', quality: 82 }).trimEnd()).toBe('q82');
  expect(qualityText({ format: 'png' })).toBe(' '.repeat(15));
});

test('a variant listing lines its URLs up, also past a full-chroma quality', () => {
  const rendition = (format: 'webp' | 'jpeg' | 'png', extra: object) => ({ format, bytes: 36_000, url: `http://cdn/${format}/id/640.${format}`, key: `${format}/id/640`, animated: false, ...extra });
  const lines = variantLines([{
    name: '640', width: 640, height: 358, negotiatedUrl: 'http://cdn/images/id/640',
    formats: [
      rendition('webp', { quality: 77, score: 75.7, score_source: 'measured', full_chroma: true }),
      rendition('jpeg', { quality: 71, score: 75.1, score_source: 'measured' }),
      rendition('png', {}),
    ],
  }], '  ');
  expect(lines[1]).toContain('q77 sharp YUV ss2 75.7 http://cdn/webp/');
  const columns = lines.slice(1).map((line) => line.indexOf('http://'));
  expect(new Set(columns).size).toBe(1);
});
