import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../lib/metrics';
import { CLOUDFRONT_REGION } from '../lib/regions';

export interface MonitoringNames {
  readonly alarmTopic: string;
  readonly edgeAlarmTopic: string;
  readonly dashboard: string;
  readonly alarmPrefix: string;
}

export interface AlarmThresholds {
  readonly failedImages: number;
  readonly processingTimeP99Ms: number;
  readonly cdn5xxRatePercent: number;
  readonly cdn4xxRatePercent: number;
  readonly cacheHitRatePercent: number;
}

export interface MonitoringProps {
  readonly names: MonitoringNames;
  /** The stack's region: the dashboard's widgets and the regional alarms read metrics there. */
  readonly region: string;
  /** Environment suffix: the `Environment` dimension of the processing metrics. */
  readonly environment: string;
  readonly functionName: string;
  readonly functionTimeoutSeconds: number;
  readonly failureQueueName: string;
  readonly tableName: string;
  readonly distributionId: string;
  /** Whether CloudFront's additional metrics (cache hit rate) are published. */
  readonly cacheHitRateAvailable: boolean;
  readonly thresholds: AlarmThresholds;
  /** @default - no email subscription */
  readonly email?: string;
  /**
   * Provider for us-east-1, where CloudFront publishes its metrics: the CDN alarms and their topic go there.
   *
   * @default - the stack's own provider (the stack is in us-east-1)
   */
  readonly edgeProvider?: AwsProvider;
}

type MetricLine = (string | Record<string, unknown>)[];
/** An alarm's metric and threshold; its name, actions and missing-data handling are the same for all. */
type AlarmDefinition = Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions' | 'treatMissingData'>;

const FIVE_MINUTES = 300;

/**
 * What an operator watches: a dashboard of the function, the processing metrics, the failure queue, the table and
 * the CDN, an alarm on each signal that has a meaningful threshold, and the SNS topic the alarms notify (with an
 * optional email subscription). CDN alarms live in us-east-1 next to CloudFront's metrics, with a topic of their own
 * there when the stack is elsewhere.
 */
export class Monitoring extends Construct {
  public readonly topic: SnsTopic;
  /** The topic the CDN alarms notify: `topic` itself when the stack is in us-east-1. */
  public readonly edgeTopic: SnsTopic;
  public readonly dashboard: CloudwatchDashboard;
  public readonly alarms: CloudwatchMetricAlarm[] = [];
  public readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { names, thresholds } = props;

    this.topic = this.alarmTopic('topic', names.alarmTopic, props.email);
    this.edgeTopic = props.edgeProvider
      ? this.alarmTopic('edge-topic', names.edgeAlarmTopic, props.email, props.edgeProvider)
      : this.topic;

    const fn = ['FunctionName', props.functionName];
    const env = [DIMENSION.environment, props.environment];
    const queue = ['QueueName', props.failureQueueName];
    const table = ['TableName', props.tableName];
    const cdn = ['DistributionId', props.distributionId, 'Region', 'Global'];

    const regional = (key: string, alarm: AlarmDefinition) => this.addAlarm(key, `${names.alarmPrefix}-${key}`, alarm, this.topic);
    const edge = (key: string, alarm: AlarmDefinition) =>
      this.addAlarm(key, `${names.alarmPrefix}-${key}`, { ...alarm, provider: props.edgeProvider }, this.edgeTopic);

    regional('processor-errors', {
      alarmDescription: 'The processor failed invocations (transient failures: retried, then sent to the failure queue)',
      namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: props.functionName },
      statistic: 'Sum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    regional('processor-throttles', {
      alarmDescription: 'Invocations of the processor were throttled',
      namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: props.functionName },
      statistic: 'Sum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    regional('processor-duration', {
      alarmDescription: 'p99 duration of the processor is above 80% of its timeout',
      namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: { FunctionName: props.functionName },
      extendedStatistic: 'p99', period: FIVE_MINUTES, evaluationPeriods: 3,
      threshold: Math.round(props.functionTimeoutSeconds * 1000 * 0.8), comparisonOperator: 'GreaterThanThreshold',
    });
    regional('images-failed', {
      alarmDescription: `${thresholds.failedImages} or more uploads ended FAILED within 15 minutes (bad or unsupported input)`,
      namespace: METRICS_NAMESPACE, metricName: METRIC.imagesFailed, dimensions: { [DIMENSION.environment]: props.environment },
      statistic: 'Sum', period: 900, evaluationPeriods: 1, threshold: thresholds.failedImages, comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    regional('processing-time', {
      alarmDescription: `p99 processing time per image is above ${thresholds.processingTimeP99Ms} ms`,
      namespace: METRICS_NAMESPACE, metricName: METRIC.processingTime, dimensions: { [DIMENSION.environment]: props.environment },
      extendedStatistic: 'p99', period: FIVE_MINUTES, evaluationPeriods: 3, threshold: thresholds.processingTimeP99Ms,
      comparisonOperator: 'GreaterThanThreshold',
    });
    regional('failure-queue', {
      alarmDescription: 'Uploads are waiting on the failure queue: find the cause, then replay them',
      namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: props.failureQueueName },
      statistic: 'Maximum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    regional('table-throttles', {
      alarmDescription: 'Reads or writes to the metadata table were throttled',
      evaluationPeriods: 1, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold',
      metricQuery: [
        { id: 'throttles', expression: 'reads + writes', label: 'Throttle events', returnData: true },
        ...(['reads', 'writes'] as const).map((queryId) => ({
          id: queryId,
          metric: {
            namespace: 'AWS/DynamoDB',
            metricName: queryId === 'reads' ? 'ReadThrottleEvents' : 'WriteThrottleEvents',
            dimensions: { TableName: props.tableName },
            stat: 'Sum',
            period: FIVE_MINUTES,
          },
        })),
      ],
    });
    edge('cdn-5xx-rate', {
      alarmDescription: `More than ${thresholds.cdn5xxRatePercent}% of CDN responses are 5xx`,
      namespace: 'AWS/CloudFront', metricName: '5xxErrorRate', dimensions: { DistributionId: props.distributionId, Region: 'Global' },
      statistic: 'Average', period: FIVE_MINUTES, evaluationPeriods: 2, threshold: thresholds.cdn5xxRatePercent,
      comparisonOperator: 'GreaterThanThreshold',
    });
    edge('cdn-4xx-rate', {
      alarmDescription: `More than ${thresholds.cdn4xxRatePercent}% of CDN responses are 4xx (broken links, images not processed)`,
      namespace: 'AWS/CloudFront', metricName: '4xxErrorRate', dimensions: { DistributionId: props.distributionId, Region: 'Global' },
      statistic: 'Average', period: FIVE_MINUTES, evaluationPeriods: 2, threshold: thresholds.cdn4xxRatePercent,
      comparisonOperator: 'GreaterThanThreshold',
    });
    if (props.cacheHitRateAvailable) {
      edge('cdn-cache-hit-rate', {
        alarmDescription: `The CDN cache hit rate is under ${thresholds.cacheHitRatePercent}%`,
        namespace: 'AWS/CloudFront', metricName: 'CacheHitRate', dimensions: { DistributionId: props.distributionId, Region: 'Global' },
        statistic: 'Average', period: 3600, evaluationPeriods: 3, threshold: thresholds.cacheHitRatePercent,
        comparisonOperator: 'LessThanThreshold',
      });
    }

    const widget = (title: string, metrics: MetricLine[], region = props.region, extra: Record<string, unknown> = {}) => ({
      type: 'metric',
      width: 8,
      height: 6,
      properties: { title, region, metrics, view: 'timeSeries', period: FIVE_MINUTES, ...extra },
    });
    const processing = (metric: string, options: Record<string, unknown>): MetricLine => [METRICS_NAMESPACE, metric, ...env, options];

    const body = {
      widgets: [
        {
          type: 'alarm',
          width: 24,
          height: 3,
          properties: { title: 'Alarms', alarms: this.alarms.filter((alarm) => alarm.provider === undefined).map((alarm) => alarm.arn) },
        },
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

    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: names.dashboard,
      dashboardBody: JSON.stringify(body),
    });
    this.dashboardUrl =
      `https://${props.region}.console.aws.amazon.com/cloudwatch/home?region=${props.region}#dashboards:name=${names.dashboard}`;
  }

  private alarmTopic(id: string, name: string, email: string | undefined, provider?: AwsProvider): SnsTopic {
    const topic = new SnsTopic(this, id, { name, provider });
    if (email) {
      new SnsTopicSubscription(this, `${id}-email`, { topicArn: topic.arn, protocol: 'email', endpoint: email, provider });
    }
    return topic;
  }

  private addAlarm(id: string, alarmName: string, alarm: AlarmDefinition, topic: SnsTopic): void {
    this.alarms.push(
      new CloudwatchMetricAlarm(this, id, {
        ...alarm,
        alarmName,
        // No data means no uploads or no traffic, which is not a failure.
        treatMissingData: 'notBreaching',
        alarmActions: [topic.arn],
        okActions: [topic.arn],
      }),
    );
  }
}
