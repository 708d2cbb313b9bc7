import { Construct } from 'constructs';
import type { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { createAlarms } from './monitoring-alarms';
import { createDashboard } from './monitoring-dashboard';

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

/**
 * What an operator watches: a dashboard of the function, the processing metrics, the failure queue, the table and
 * the CDN, an alarm on each signal that has a meaningful threshold, and the SNS topic the alarms notify (with an
 * optional email subscription). CDN alarms live in us-east-1 next to CloudFront's metrics, with a topic of their own
 * there when the stack is elsewhere. The alarms are defined in constructs/monitoring-alarms.ts, the dashboard in
 * constructs/monitoring-dashboard.ts, both in this construct's scope.
 */
export class Monitoring extends Construct {
  public readonly topic: SnsTopic;
  /** The topic the CDN alarms notify: `topic` itself when the stack is in us-east-1. */
  public readonly edgeTopic: SnsTopic;
  public readonly dashboard: CloudwatchDashboard;
  public readonly alarms: CloudwatchMetricAlarm[];
  public readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { names } = props;

    this.topic = this.alarmTopic('topic', names.alarmTopic, props.email);
    this.edgeTopic = props.edgeProvider
      ? this.alarmTopic('edge-topic', names.edgeAlarmTopic, props.email, props.edgeProvider)
      : this.topic;

    this.alarms = createAlarms(this, props, { regional: this.topic, edge: this.edgeTopic });
    this.dashboard = createDashboard(this, props, this.alarms);
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
}
