/**
 * The project's environment variables share one prefix, `IMAGE_OPT_`: the app's settings, the local runtime's and
 * the command line's. The names used before (`IMGOPT_*` for the runtime and the command line, `ENVIRONMENT_SUFFIX`
 * for the app's preview stack, which inside the function means something else) still work, with a one-line notice.
 */
export const ENV_PREFIX = 'IMAGE_OPT_';

/** Settings that had another name, by their name after the prefix. */
const FORMER_NAMES: Readonly<Record<string, string>> = {
  PREVIEW_SUFFIX: 'ENVIRONMENT_SUFFIX',
  ...Object.fromEntries(
    ['DATA_DIR', 'OUTPUTS_FILE', 'DEBUG', 'PORT', 'S3_PORT', 'DYNAMODB_PORT', 'LAMBDA_PORT', 'CONCURRENCY', 'RETRY_DELAY_MS', 'LOGS']
      .map((name) => [name, `IMGOPT_${name}`]),
  ),
};

const noticed = new Set<string>();

/** The variable's full name: `envName('DATA_DIR')` is `IMAGE_OPT_DATA_DIR`. */
export function envName(name: string): string {
  return `${ENV_PREFIX}${name}`;
}

/**
 * `IMAGE_OPT_<name>`, else the variable's former name, which prints `warning: <former> is deprecated: set
 * IMAGE_OPT_<name> instead` on stderr once per process.
 */
export function envSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const current = env[envName(name)];
  if (current !== undefined) return current;
  const former = FORMER_NAMES[name];
  const value = former === undefined ? undefined : env[former];
  if (value !== undefined && value !== '' && !noticed.has(former)) {
    noticed.add(former);
    process.stderr.write(`warning: ${former} is deprecated: set ${envName(name)} instead\n`);
  }
  return value;
}
