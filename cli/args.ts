/**
 * The command line's commands, options and help texts, and the parsing that turns argv into one command's options
 * (with every mistake reported as a UserError naming the command's help).
 */
import { parseArgs } from 'node:util';
import { envSetting } from '../lib/env';
import { expected } from '../lib/problems';
import { EXIT, UsageError } from './errors';

/** The package's version, for `imgopt --version`. */
const VERSION = (require('../package.json') as { version: string }).version;

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly short?: string };

export const COMMANDS = ['upload', 'fetch', 'status', 'html', 'replay', 'report'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Options every command takes. */
const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  env: { type: 'string' },
  'outputs-file': { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

interface CommandSpec {
  /** `<...>` placeholders of the positional arguments, for the usage line. */
  readonly usage: string;
  readonly summary: string;
  readonly positionals: { readonly min: number; readonly max: number; readonly name: string };
  readonly options: Record<string, OptionSpec>;
  readonly help: string;
}

const TARGET_HELP = `Where:
  (default)              the local runtime (npm start), found through <data folder>/runtime.json
  --env <suffix>         a deployed environment (dev, staging, prod, pr3515...), from its stack outputs:
                         \`terraform output -json\` in cdktf.out/stacks/image-optimization-<suffix>
  --outputs-file <file>  ...or the file \`cdktf deploy --outputs-file <file>\` wrote [IMAGE_OPT_OUTPUTS_FILE]
  --data-dir <dir>       the local runtime's data folder [IMAGE_OPT_DATA_DIR] (default: .local-data/)
  --json                 print JSON for scripts instead of text
  -h, --help             this help`;

export const COMMAND_SPECS: Record<CommandName, CommandSpec> = {
  upload: {
    usage: 'upload <files or folders...>',
    summary: 'upload images, wait for processing, print their CDN URLs and the bytes saved',
    positionals: { min: 1, max: Infinity, name: 'files or folders' },
    options: {
      prefix: { type: 'string' },
      timeout: { type: 'string' },
      'no-wait': { type: 'boolean' },
    },
    help: `Uploads images to the upload bucket, waits until each is COMPLETED or FAILED, and prints, per image, its id,
the URL of every variant (explicit per format, and negotiated), and the bytes saved. Folders are read recursively;
files that are not images (by extension) inside them are skipped with a note. Progress goes to stderr.

Options:
  --prefix <key/>      put the keys under this prefix (default: none; a folder's files keep its name and sub-folders)
  --timeout <seconds>  how long to wait for processing (default: 120)
  --no-wait            upload and print the image ids without waiting

Exit code: ${EXIT.ok} when every image is COMPLETED, ${EXIT.incomplete} when one FAILED, went to the failure queue or timed out,
${EXIT.error} when a file is missing or the target unreachable, ${EXIT.usage} on a mistake in the command line.`,
  },
  fetch: {
    usage: 'fetch <image_id>',
    summary: 'download one variant through the CDN (or the local edge)',
    positionals: { min: 1, max: 1, name: 'image_id' },
    options: {
      variant: { type: 'string' },
      format: { type: 'string' },
      accept: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    help: `Downloads one variant of an image through the CDN: the negotiated URL (/images/<id>/<variant>), which picks
the format from the Accept header, or with --format the explicit URL (/<format>/<id>/<variant>.<ext>).
Prints the URL, status, Content-Type, Cache-Control and size on stderr.

Options:
  --variant <name>     which variant (default: the largest one the image has, usually full)
  --format <format>    avif, webp, jpeg or png: fetch the explicit URL of that format
  --accept <value>     Accept header for the negotiated URL (default: a browser's, image/avif,image/webp,...)
  -o, --output <file>  where to write the image (default: stdout when it is not a terminal,
                       else <image_id>-<variant>.<ext> in the current folder)`,
  },
  status: {
    usage: 'status <image_id>',
    summary: "show an image's metadata: status, source, original, variants, savings, error",
    positionals: { min: 1, max: 1, name: 'image_id' },
    options: {},
    help: `Shows the metadata item of one image: status (PROCESSING, COMPLETED, FAILED), the upload it came from, the
original's format and size, every variant with its URL, the bytes saved, the processing time and attempts, and the
reason when it FAILED. With --json, the item as stored.`,
  },
  html: {
    usage: 'html <image_id>',
    summary: 'print the responsive <picture> markup for an image, with the CDN URLs',
    positionals: { min: 1, max: 1, name: 'image_id' },
    options: {
      alt: { type: 'string' },
      negotiated: { type: 'boolean' },
    },
    help: `Prints the HTML that shows a COMPLETED image responsively (the same markup the local console copies):
a <picture> with one <source type srcset sizes> per modern format (AVIF, WebP) and an <img> in JPEG (PNG where
the image has transparency), with explicit CDN URLs, width and height attributes (no layout shift) and the blur
placeholder as the image's background until it loads. The cropped thumbnail is left out of srcset. Locally the
URLs are the local edge's; with --env, the deployed CloudFront distribution's.

Options:
  --alt <text>    the image's alt text (default: empty; describe what the image shows)
  --negotiated    one <img srcset sizes> with the negotiated URLs (/images/<id>/<variant>) instead: the CDN
                  picks the format from the browser's Accept header`,
  },
  replay: {
    usage: 'replay [image_id]',
    summary: 're-drive the failure queue, or one upload from its source object',
    positionals: { min: 0, max: 1, name: 'image_id' },
    options: {
      limit: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    help: `Re-drives the failure queue: every message's original event (requestPayload) is invoked again,
asynchronously, and the message is deleted only once the invocation was accepted. Locally, the queue is the
folder <data>/failure-queue/ and the invocations go to the runtime's Lambda Invoke API; against --env, the SQS
queue (output failure_queue_url) and the deployed function (output lambda_function).

With an image id, re-drives that one upload instead: the function is invoked, asynchronously, with the S3 event
of its source object (bucket, key, version or ETag, from the metadata item), as S3 would send it. Meant for an
upload stuck in PROCESSING (imgopt report --stuck): the new attempt takes it over once the old claim has run
out. An upload that ended COMPLETED or FAILED is final and is not processed again (its outcome is announced again
if it never was).

Options:
  --limit <n>   replay at most n messages (default: all)
  --dry-run     list what would be replayed, change nothing`,
  },
  report: {
    usage: 'report',
    summary: 'recent and failed images, newest first',
    positionals: { min: 0, max: 0, name: '' },
    options: {
      failed: { type: 'boolean' },
      stuck: { type: 'boolean' },
      limit: { type: 'string' },
    },
    help: `Lists the newest images from the metadata table's status index, newest first: COMPLETED with their
savings, FAILED with their reason, PROCESSING with their age; and how many events wait on the failure queue.

Options:
  --failed      only FAILED images
  --stuck       only uploads PROCESSING for longer than the function can run (its timeout plus 5 minutes),
                oldest first: what the UploadsStuck alarm counts; re-drive one with imgopt replay <image_id>
  --limit <n>   how many (default: 20)`,
  },
};

export const MAIN_HELP = `imgopt: upload images to the image optimization pipeline and inspect what it made

Usage: imgopt <command> [options]     (in a checkout: npx imgopt ..., or npm run imgopt -- ...)

Commands:
${COMMANDS.map((name) => `  ${COMMAND_SPECS[name].usage.padEnd(30)} ${COMMAND_SPECS[name].summary}`).join('\n')}

${TARGET_HELP}

Exit codes: ${EXIT.ok} done; ${EXIT.error} a missing file or image, or the runtime or environment unreachable;
${EXIT.usage} a mistake in the command line (unknown command or option, malformed argument); ${EXIT.incomplete} some images did not
end COMPLETED (upload: FAILED, on the failure queue or timed out).

Start the local runtime first with \`npm start\`. \`imgopt <command> --help\` shows a command's options.
\`imgopt --version\` prints the version.`;

export function commandHelp(name: CommandName): string {
  const spec = COMMAND_SPECS[name];
  return `Usage: imgopt ${spec.usage} [options]\n\n${spec.help}\n\n${TARGET_HELP}`;
}

export interface GlobalOptions {
  readonly env?: string;
  readonly outputsFile?: string;
  readonly dataDir?: string;
  readonly json: boolean;
}

export interface ParsedCommand {
  readonly command: CommandName;
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly global: GlobalOptions;
  readonly help: boolean;
}

export type Parsed = { readonly kind: 'help'; readonly text: string } | { readonly kind: 'command'; readonly parsed: ParsedCommand };

export function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

/** Reads argv (without node and the script): the command, its positionals and options, or a help request. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const first = commandIndex(argv);
  if (argv.length === 0 || (first === -1 && argv.some((arg) => arg === '--help' || arg === '-h'))) {
    return { kind: 'help', text: MAIN_HELP };
  }
  if (first === -1 && argv.some((arg) => arg === '--version' || arg === '-V')) return { kind: 'help', text: VERSION };
  if (first === -1) throw new UsageError(`no command given (commands: ${COMMANDS.join(', ')}; see imgopt --help)`);
  const name = argv[first];
  if (name === 'help') {
    const topic = argv[first + 1];
    if (topic === undefined) return { kind: 'help', text: MAIN_HELP };
    if (!isCommand(topic)) throw unknownCommand(topic);
    return { kind: 'help', text: commandHelp(topic) };
  }
  if (!isCommand(name)) throw unknownCommand(name);

  const spec = COMMAND_SPECS[name];
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv.slice(0, first), ...argv.slice(first + 1)],
      options: { ...GLOBAL_OPTIONS, ...spec.options },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message.charAt(0).toLowerCase()}${message.slice(1)} for ${name} (see imgopt ${name} --help)`);
  }
  if (values.help) return { kind: 'help', text: commandHelp(name) };
  const { min, max } = spec.positionals;
  if (positionals.length < min) {
    throw new UsageError(`${name} needs ${spec.positionals.name === 'image_id' ? 'an image id' : `one or more ${spec.positionals.name}`} (usage: imgopt ${spec.usage})`);
  }
  if (positionals.length > max) {
    throw new UsageError(`${name} takes ${max === 0 ? 'no arguments' : `${max} argument`}, got ${positionals.map((p) => JSON.stringify(p)).join(' ')} (usage: imgopt ${spec.usage})`);
  }
  return {
    kind: 'command',
    parsed: {
      command: name,
      positionals,
      options: values,
      help: false,
      global: {
        env: values.env as string | undefined,
        outputsFile: (values['outputs-file'] as string | undefined) ?? (envSetting(env, 'OUTPUTS_FILE') || undefined),
        dataDir: values['data-dir'] as string | undefined,
        json: values.json === true,
      },
    },
  };
}

/** Where the command is: the first argument that is neither an option nor the value of a global option before it. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) return i;
    const name = arg.replace(/^--?/, '');
    if (GLOBAL_OPTIONS[name]?.type === 'string') i += 1;
  }
  return -1;
}

function unknownCommand(name: string): UsageError {
  return new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.join(', ')}; see imgopt --help)`);
}

/** A whole number option within bounds, or the default. */
export function integerOption(options: ParsedCommand['options'], name: string, fallback: number, min = 1, max = 1_000_000): number {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(expected(`--${name}`, `a whole number from ${min} to ${max}`, raw));
  }
  return value;
}
