/**
 * The CDKTF app: one stack per environment, `image-optimization-<suffix>`.
 *
 * dev, staging and prod are always synthesized; `IMAGE_OPT_PREVIEW_SUFFIX=pr3515` adds a preview stack with the preview
 * profile. Deployment-wide options (name prefix, region, state bucket, offline mode) come from environment
 * variables: see `deploymentFromEnv` in stacks/settings.ts and the README's configuration reference.
 */
import { App } from 'cdktf';
import { envSetting } from './lib/env';
import { stackName } from './lib/naming';
import { ImageOptimizationStack } from './stacks/image-optimization-stack';
import {
  ConfigError,
  DeploymentOptions,
  EnvironmentProfile,
  EnvironmentSettings,
  buildSettings,
  deploymentFromEnv,
  settingsProblems,
} from './stacks/settings';
import { PolicyViolationError } from './policies/policy-pack';

/** The standing environments. Anything not set here comes from `BASE_PROFILE` in stacks/settings.ts. */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentProfile>> = {
  dev: {
    processor: { memoryMb: 1024, timeoutSeconds: 60, maxRetries: 1 },
    logRetentionDays: 14,
    forceDestroyBuckets: true,
    preset: {
      // Fewer widths and no AVIF above 640 px keep dev invocations short and cheap.
      variants: [
        { name: 'thumb', width: 256, height: 256, fit: 'cover', formats: ['avif', 'webp', 'jpeg'] },
        { name: '640', width: 640, fit: 'inside', formats: ['avif', 'webp', 'jpeg'] },
        { name: '1280', width: 1280, fit: 'inside', formats: ['webp', 'jpeg'] },
        { name: 'full', width: 2560, height: 2560, fit: 'inside', formats: ['webp', 'jpeg'] },
      ],
    },
  },
  staging: {
    processor: { memoryMb: 1536, timeoutSeconds: 90 },
    logRetentionDays: 30,
  },
  prod: {
    processor: { memoryMb: 2048, timeoutSeconds: 120, reservedConcurrency: 50 },
    logRetentionDays: 90,
    tableDeletionProtection: true,
    cdn: { priceClass: 'PriceClass_All', additionalMetrics: true },
  },
};

/** Profile of an ad-hoc preview environment (`IMAGE_OPT_PREVIEW_SUFFIX=pr3515`): short-lived and easy to destroy. */
export const PREVIEW_PROFILE: EnvironmentProfile = {
  ...ENVIRONMENTS.dev,
  logRetentionDays: 7,
  failureQueueRetentionDays: 4,
  tags: { Preview: 'true' },
};

/** The settings of every stack to synthesize, or a ConfigError listing every problem in all of them. */
export function environmentSettings(env: NodeJS.ProcessEnv): EnvironmentSettings[] {
  const deployment: DeploymentOptions = deploymentFromEnv(env);
  const profiles: [string, EnvironmentProfile][] = Object.entries(ENVIRONMENTS);
  const extra = envSetting(env, 'PREVIEW_SUFFIX')?.trim();
  if (extra && !(extra in ENVIRONMENTS)) profiles.push([extra, PREVIEW_PROFILE]);

  const settings = profiles.map(([suffix, profile]) => buildSettings(suffix, profile, deployment));
  const problems = reportProblems(settings.map((environment) => [environment.suffix, settingsProblems(environment)]));
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/**
 * One line per problem, named after its environment; a problem every environment has (a bad region or prefix) is
 * reported once, without an environment's name.
 */
function reportProblems(byEnvironment: [string, string[]][]): string[] {
  const count = new Map<string, number>();
  for (const [, problems] of byEnvironment) for (const problem of problems) count.set(problem, (count.get(problem) ?? 0) + 1);
  const shared = new Set([...count].filter(([, n]) => n === byEnvironment.length).map(([problem]) => problem));
  return [
    ...shared,
    ...byEnvironment.flatMap(([suffix, problems]) => problems.filter((p) => !shared.has(p)).map((p) => `${suffix}: ${p}`)),
  ];
}

export function buildApp(env: NodeJS.ProcessEnv, outdir?: string): App {
  // Settings first: a configuration mistake must not leave an empty cdktf.out behind.
  const environments = environmentSettings(env);
  const app = new App({ outdir });
  for (const settings of environments) {
    new ImageOptimizationStack(app, stackName(settings.suffix), settings);
  }
  return app;
}

/** Synthesizes every stack into cdktf.out; a mistake is printed as one line per problem, with exit code 1. */
export function run(): void {
  try {
    buildApp(process.env).synth();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`Invalid configuration: ${problem}`);
    } else if (error instanceof PolicyViolationError) {
      console.error(error.message);
    } else {
      console.error(`Synthesis failed: ${(error as Error).message}`);
    }
    process.exit(1);
  }
}

if (require.main === module) run();
