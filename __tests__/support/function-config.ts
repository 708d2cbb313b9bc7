/**
 * The processor's configuration for handler tests, and the local outcome topic it announces on: a real SNS
 * Publish endpoint on loopback (local/notifications.ts) that keeps every message as a file.
 */
import { FunctionConfig } from '../../lib/function-environment';
import { OFFLINE_ACCOUNT_ID } from '../../lib/lambda-runtime';
import { UPLOAD_LEASE } from '../../lib/lease';
import { METRICS_NAMESPACE } from '../../lib/metrics';
import { ResourceNames, snsTopicArn } from '../../lib/naming';
import type { OutcomeMessage } from '../../lib/outcomes';
import type { VariantPreset } from '../../lib/variants';
import { LocalTopic, readNotifications, startLocalTopic } from '../../local/notifications';
import { LOCAL_REGION } from '../../local/servers';

export const TEST_CDN_URL = 'https://images.example.test';

export function outcomeTopicArn(names: Pick<ResourceNames, 'outcomeTopic'>): string {
  return snsTopicArn(LOCAL_REGION, OFFLINE_ACCOUNT_ID, names.outcomeTopic);
}

export function testFunctionConfig(
  names: ResourceNames,
  preset: VariantPreset,
  environment: string,
  overrides: Partial<FunctionConfig> = {},
): FunctionConfig {
  return {
    table: names.table,
    outputBuckets: names.outputBuckets,
    preset,
    environment,
    metricsNamespace: METRICS_NAMESPACE,
    outcomeTopicArn: outcomeTopicArn(names),
    cdnUrl: TEST_CDN_URL,
    leaseSeconds: UPLOAD_LEASE.seconds,
    stuckAfterSeconds: 390,
    ...overrides,
  };
}

export function startTestTopic(dataDir: string, names: Pick<ResourceNames, 'outcomeTopic'>): Promise<LocalTopic> {
  return startLocalTopic({ dataDir, topicArn: outcomeTopicArn(names) });
}

/** The outcome messages published so far, parsed, with their attributes. */
export function outcomes(dataDir: string): Array<OutcomeMessage & { readonly attributes: Record<string, string> }> {
  return readNotifications(dataDir).map((notification) => ({
    ...(JSON.parse(notification.Message) as OutcomeMessage),
    attributes: Object.fromEntries(Object.entries(notification.MessageAttributes).map(([name, value]) => [name, value.Value])),
  }));
}
