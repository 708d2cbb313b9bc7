/**
 * The dashboard of `Monitoring` (constructs/monitoring.ts): the function, the processing metrics, the failure queue,
 * the table and the CDN, with the regional alarms on top.
 *
 * The body reaches Terraform as `jsonencode(...)` of the structure, not as a JSON string: it holds references
 * (function, queue, table and distribution names, alarm ARNs), and a string with references inside is a template
 * that `cdktf synth --hcl` cannot render (it broke the quoting: 23 `terraform validate` errors). Terraform encodes
 * the same structure to the same JSON, keys sorted, which CloudWatch reads alike.
 */
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../lib/metrics';
import { CLOUDFRONT_REGION } from '../lib/regions';
import { FIVE_MINUTES } from './monitoring-alarms';
import type { MonitoringProps } from './monitoring';

/** One line of a metric widget: namespace, metric name, dimension name/value pairs, then the rendering options. */
export type MetricLine = (string | Record<string, unknown>)[];

export interface AlarmWidget {
  readonly type: 'alarm';
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title: string; readonly alarms: string[] };
}

export interface MetricWidget {
  readonly type: 'metric';
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title: string; readonly region: string; readonly metrics: MetricLine[] } & Record<string, unknown>;
}

/** A CloudWatch dashboard body (its JSON structure), here with Terraform references in place of names and ARNs. */
export interface DashboardBody {
  readonly widgets: (AlarmWidget | MetricWidget)[];
}

/** The dashboard's structure: `alarmArns` are the alarms the top widget shows (those in the stack's own region). */
export function dashboardBody(props: MonitoringProps, alarmArns: string[]): DashboardBody {
  const fn = ['FunctionName', props.functionName];
  const env = [DIMENSION.environment, props.environment];
  const queue = ['QueueName', props.failureQueueName];
  const table = ['TableName', props.tableName];
  const cdn = ['DistributionId', props.distributionId, 'Region', 'Global'];

  const widget = (title: string, metrics: MetricLine[], region = props.region, extra: Record<string, unknown> = {}): MetricWidget => ({
    type: 'metric',
    width: 8,
    height: 6,
    properties: { title, region, metrics, view: 'timeSeries', period: FIVE_MINUTES, ...extra },
  });
  const processing = (metric: string, options: Record<string, unknown>): MetricLine => [METRICS_NAMESPACE, metric, ...env, options];

  return {
    widgets: [
      { type: 'alarm', width: 24, height: 3, properties: { title: 'Alarms', alarms: alarmArns } },
      widget('Processor invocations', [
        ['AWS/Lambda', 'Invocations', ...fn, { stat: 'Sum' }],
        ['AWS/Lambda', 'Errors', ...fn, { stat: 'Sum' }],
        ['AWS/Lambda', 'Throttles', ...fn, { stat: 'Sum' }],
      ]),
      widget('Processor duration (ms)', [
        ['AWS/Lambda', 'Duration', ...fn, { stat: 'p50' }],
        ['AWS/Lambda', 'Duration', ...fn, { stat: 'p99' }],
        ['AWS/Lambda', 'Duration', ...fn, { stat: 'Maximum' }],
      ]),
      widget('Images', [
        processing(METRIC.imagesProcessed, { stat: 'Sum' }),
        processing(METRIC.imagesFailed, { stat: 'Sum' }),
        processing(METRIC.variantsGenerated, { stat: 'Sum' }),
      ]),
      widget('Processing time per image (ms)', [
        processing(METRIC.processingTime, { stat: 'p50' }),
        processing(METRIC.processingTime, { stat: 'p99' }),
      ]),
      widget('Bytes in and out', [processing(METRIC.bytesIn, { stat: 'Sum' }), processing(METRIC.bytesOut, { stat: 'Sum' })]),
      widget('Uploads stuck in PROCESSING (the sweep, every 5 minutes)', [processing(METRIC.uploadsStuck, { stat: 'Maximum' })]),
      widget('Failure queue', [
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', ...queue, { stat: 'Maximum' }],
        ['AWS/SQS', 'ApproximateAgeOfOldestMessage', ...queue, { stat: 'Maximum', yAxis: 'right' }],
      ]),
      widget('Metadata table throttles', [
        ['AWS/DynamoDB', 'ReadThrottleEvents', ...table, { stat: 'Sum' }],
        ['AWS/DynamoDB', 'WriteThrottleEvents', ...table, { stat: 'Sum' }],
      ]),
      widget('CDN requests', [['AWS/CloudFront', 'Requests', ...cdn, { stat: 'Sum' }]], CLOUDFRONT_REGION),
      widget(
        'CDN error rates and cache hit rate (%)',
        [
          ['AWS/CloudFront', '4xxErrorRate', ...cdn, { stat: 'Average' }],
          ['AWS/CloudFront', '5xxErrorRate', ...cdn, { stat: 'Average' }],
          ...(props.cacheHitRateAvailable ? [['AWS/CloudFront', 'CacheHitRate', ...cdn, { stat: 'Average' }]] : []),
        ],
        CLOUDFRONT_REGION,
      ),
    ],
  };
}

/** Creates the dashboard in `scope`, showing the alarms that live in the stack's own region. */
export function createDashboard(scope: Construct, props: MonitoringProps, alarms: readonly CloudwatchMetricAlarm[]): CloudwatchDashboard {
  const regionalArns = alarms.filter((alarm) => alarm.provider === undefined).map((alarm) => alarm.arn);
  return new CloudwatchDashboard(scope, 'dashboard', {
    dashboardName: props.names.dashboard,
    dashboardBody: Fn.jsonencode(dashboardBody(props, regionalArns)),
  });
}
