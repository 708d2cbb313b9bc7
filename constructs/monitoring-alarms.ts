/**
 * The alarms of `Monitoring` (constructs/monitoring.ts): one on each signal that has a meaningful threshold, each
 * notifying its topic on ALARM and on OK. Created in the Monitoring construct's own scope, so their Terraform names
 * do not depend on how this code is split into files.
 */
import type { Construct } from 'constructs';
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../lib/metrics';
import type { MonitoringProps } from './monitoring';

/** Period of the alarms and of the dashboard's widgets. */
export const FIVE_MINUTES = 300;

/** An alarm's metric and threshold; its name, actions and missing-data handling are the same for all. */
type AlarmDefinition = Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions' | 'treatMissingData'>;

export interface AlarmTopics {
  /** Notified by the alarms on the stack's own region's metrics. */
  readonly regional: SnsTopic;
  /** Notified by the CDN alarms (in us-east-1, with CloudFront's metrics). */
  readonly edge: SnsTopic;
}

/** Creates every alarm in `scope`, in a fixed order: the regional ones, then the CDN's. */
export function createAlarms(scope: Construct, props: MonitoringProps, topics: AlarmTopics): CloudwatchMetricAlarm[] {
  const { names, thresholds } = props;
  const alarms: CloudwatchMetricAlarm[] = [];
  const add = (key: string, alarm: AlarmDefinition, topic: SnsTopic) => {
    alarms.push(
      new CloudwatchMetricAlarm(scope, key, {
        ...alarm,
        alarmName: `${names.alarmPrefix}-${key}`,
        // No data means no uploads or no traffic, which is not a failure.
        treatMissingData: 'notBreaching',
        alarmActions: [topic.arn],
        okActions: [topic.arn],
      }),
    );
  };
  const regional = (key: string, alarm: AlarmDefinition) => add(key, alarm, topics.regional);
  const edge = (key: string, alarm: AlarmDefinition) => add(key, { ...alarm, provider: props.edgeProvider }, topics.edge);

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
  regional('uploads-stuck', {
    alarmDescription: 'Uploads are PROCESSING for longer than the function can run: list them with imgopt report --stuck, re-drive one with imgopt replay <image_id>',
    namespace: METRICS_NAMESPACE, metricName: METRIC.uploadsStuck, dimensions: { [DIMENSION.environment]: props.environment },
    statistic: 'Maximum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold',
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
  return alarms;
}
