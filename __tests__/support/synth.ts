/** Helpers to read synthesized Terraform JSON in tests. */
import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ENVIRONMENTS } from '../../main';
import { stackName } from '../../lib/naming';
import { ImageOptimizationStack } from '../../stacks/image-optimization-stack';
import { DeploymentOptions, EnvironmentProfile, EnvironmentSettings, resolveSettings } from '../../stacks/settings';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** Synthesizes whatever `build` adds to a fresh stack and parses it. */
export function synthScope(build: (scope: Construct) => void): Json {
  return JSON.parse(Testing.synthScope(build));
}

/** Every `type` resource of a synthesized stack: logical id to configuration. */
export function resources(synth: Json, type: string): Record<string, Json> {
  return synth.resource?.[type] ?? {};
}

/** The only `type` resource, failing when there is none or more than one. */
export function only(synth: Json, type: string): [string, Json] {
  const entries = Object.entries(resources(synth, type));
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  return entries[0];
}

export function ref(type: string, logicalId: string, attribute: string): string {
  return `\${${type}.${logicalId}.${attribute}}`;
}

export const TEST_DEPLOYMENT: DeploymentOptions = {
  namePrefix: 'acme-img',
  region: 'eu-west-1',
  stateBucket: 'acme-img-terraform-state',
  stateRegion: 'eu-west-1',
  offline: false,
  accountId: '123456789012',
};

export function testSettings(
  suffix = 'dev',
  profile: EnvironmentProfile = ENVIRONMENTS[suffix] ?? {},
  deployment: Partial<DeploymentOptions> = {},
): EnvironmentSettings {
  return resolveSettings(suffix, profile, { ...TEST_DEPLOYMENT, ...deployment });
}

/** A whole environment stack, synthesized (policy pack included) and parsed. */
export function synthStack(settings: EnvironmentSettings = testSettings()): Json {
  const app = Testing.app();
  const stack = new ImageOptimizationStack(app, stackName(settings.suffix), settings);
  return JSON.parse(Testing.synth(stack));
}
