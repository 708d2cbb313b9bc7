import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Monitoring, MonitoringProps } from '../../constructs/monitoring';
import { dashboardBody } from '../../constructs/monitoring-dashboard';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../../lib/metrics';
import { Json, resources, synthScope } from '../support/synth';

const base: MonitoringProps = {
  names: { alarmTopic: 'a-alarms-dev', edgeAlarmTopic: 'a-edge-alarms-dev', dashboard: 'a-dashboard-dev', alarmPrefix: 'a-dev' },
  region: 'eu-west-1',
  environment: 'dev',
  functionName: 'a-processor-dev',
  functionTimeoutSeconds: 60,
  failureQueueName: 'a-failures-dev',
  tableName: 'a-metadata-dev',
  distributionId: 'E2EXAMPLE',
  cacheHitRateAvailable: false,
  thresholds: { failedImages: 10, processingTimeP99Ms: 30000, cdn5xxRatePercent: 1, cdn4xxRatePercent: 15, cacheHitRatePercent: 80 },
};

function synthMonitoring(props: Partial<MonitoringProps> = {}, withEdgeProvider = true): Json {
  return synthScope((scope) => {
    new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
    const edgeProvider = withEdgeProvider ? new AwsProvider(scope, 'edge', { region: 'us-east-1', alias: 'us_east_1' }) : undefined;
    new Monitoring(scope, 'monitoring', { ...base, edgeProvider, ...props });
  });
}

function alarmsByName(synth: Json): Record<string, Json> {
  return Object.fromEntries(Object.values(resources(synth, 'aws_cloudwatch_metric_alarm')).map((alarm) => [alarm.alarm_name, alarm]));
}

describe('Monitoring', () => {
  const synth = synthMonitoring();
  const alarms = alarmsByName(synth);
  const topics = Object.entries(resources(synth, 'aws_sns_topic'));
  const regionalTopic = topics.find(([, t]) => t.name === 'a-alarms-dev')!;
  const edgeTopic = topics.find(([, t]) => t.name === 'a-edge-alarms-dev')!;

  test('alarms on the function, the processing metrics, the failure queue, the table and the CDN', () => {
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'a-dev-cdn-4xx-rate',
        'a-dev-cdn-5xx-rate',
        'a-dev-failure-queue',
        'a-dev-images-failed',
        'a-dev-processing-time',
        'a-dev-processor-duration',
        'a-dev-processor-errors',
        'a-dev-processor-throttles',
        'a-dev-table-throttles',
        'a-dev-uploads-stuck',
      ].sort(),
    );
    // The sweep emits UploadsStuck every run; one stuck upload is one too many.
    expect(alarms['a-dev-uploads-stuck']).toMatchObject({
      namespace: METRICS_NAMESPACE, metric_name: METRIC.uploadsStuck, dimensions: { Environment: 'dev' }, statistic: 'Maximum', threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms['a-dev-uploads-stuck'].alarm_description).toContain('imgopt report --stuck');
    expect(alarms['a-dev-processor-duration']).toMatchObject({ extended_statistic: 'p99', threshold: 48000 });
    expect(alarms['a-dev-failure-queue']).toMatchObject({ namespace: 'AWS/SQS', dimensions: { QueueName: 'a-failures-dev' }, threshold: 1 });
    for (const alarm of Object.values(alarms)) expect(alarm.treat_missing_data).toBe('notBreaching');
  });

  test('reads the processing metrics by the names, namespace and dimension the function emits', () => {
    expect(alarms['a-dev-images-failed']).toMatchObject({
      namespace: METRICS_NAMESPACE,
      metric_name: METRIC.imagesFailed,
      dimensions: { [DIMENSION.environment]: 'dev' },
      threshold: 10,
      period: 900,
    });
    expect(alarms['a-dev-processing-time']).toMatchObject({ namespace: METRICS_NAMESPACE, metric_name: METRIC.processingTime, threshold: 30000 });
  });

  test('puts the CDN alarms and their topic in us-east-1, with CloudFront\'s metrics', () => {
    for (const name of ['a-dev-cdn-5xx-rate', 'a-dev-cdn-4xx-rate']) {
      expect(alarms[name]).toMatchObject({
        provider: 'aws.us_east_1',
        namespace: 'AWS/CloudFront',
        dimensions: { DistributionId: 'E2EXAMPLE', Region: 'Global' },
        alarm_actions: [`\${aws_sns_topic.${edgeTopic[0]}.arn}`],
      });
    }
    expect(edgeTopic[1].provider).toBe('aws.us_east_1');
    expect(alarms['a-dev-processor-errors'].provider).toBeUndefined();
    expect(alarms['a-dev-processor-errors'].alarm_actions).toEqual([`\${aws_sns_topic.${regionalTopic[0]}.arn}`]);
  });

  test('needs no second topic when the stack is in us-east-1', () => {
    const local = synthMonitoring({ region: 'us-east-1' }, false);
    expect(Object.values(resources(local, 'aws_sns_topic')).map((t) => t.name)).toEqual(['a-alarms-dev']);
  });

  test('subscribes an email to every topic when one is given', () => {
    const withEmail = synthMonitoring({ email: 'ops@example.com' });
    const subscriptions = Object.values(resources(withEmail, 'aws_sns_topic_subscription'));
    expect(subscriptions).toHaveLength(2);
    for (const subscription of subscriptions) expect(subscription).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
    expect(resources(synth, 'aws_sns_topic_subscription')).toEqual({});
  });

  test('alarms on the cache hit rate only when CloudFront publishes it', () => {
    expect(alarmsByName(synthMonitoring({ cacheHitRateAvailable: true }))['a-dev-cdn-cache-hit-rate']).toMatchObject({
      metric_name: 'CacheHitRate',
      comparison_operator: 'LessThanThreshold',
      threshold: 80,
    });
  });

  test('draws a dashboard of every signal, in the stack\'s region and CloudFront\'s', () => {
    const [, dashboard] = Object.entries(resources(synth, 'aws_cloudwatch_dashboard'))[0];
    expect(dashboard.dashboard_name).toBe('a-dashboard-dev');
    // Terraform encodes the structure (references inside): the synthesized body is jsonencode(...) of it.
    expect(dashboard.dashboard_body).toMatch(/^\$\{jsonencode\(\{"widgets" = \[/);
    const body: Json = dashboardBody(base, ['REF']);
    const metrics = body.widgets.filter((w: Json) => w.type === 'metric').flatMap((w: Json) => w.properties.metrics.map((m: unknown[]) => `${m[0]}/${m[1]}`));
    for (const expected of [
      'AWS/Lambda/Invocations', 'AWS/Lambda/Errors', 'AWS/Lambda/Duration', 'AWS/Lambda/Throttles',
      ...Object.values(METRIC).map((name) => `${METRICS_NAMESPACE}/${name}`),
      'AWS/SQS/ApproximateNumberOfMessagesVisible', 'AWS/DynamoDB/ReadThrottleEvents', 'AWS/DynamoDB/WriteThrottleEvents',
      'AWS/CloudFront/Requests', 'AWS/CloudFront/4xxErrorRate', 'AWS/CloudFront/5xxErrorRate',
    ]) {
      expect(metrics).toContain(expected);
    }
    const regions = new Set(body.widgets.filter((w: Json) => w.type === 'metric').map((w: Json) => w.properties.region));
    expect([...regions].sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(dashboard.dashboard_body).not.toMatch(/\d{12}/);
  });
});
