/**
 * Processing metrics as CloudWatch Embedded Metric Format: one JSON line per image on stdout, which CloudWatch Logs
 * turns into metrics without any API call (no blocking PutMetricData per variant). Names, namespace and dimensions
 * come from lib/metrics.ts, the module the dashboard and alarms read.
 */
import { DIMENSION, ENVIRONMENT_DIMENSIONS, FAILURE_DIMENSIONS, METRIC, METRIC_UNIT, MetricName } from '../../lib/metrics';

export type MetricWriter = (line: string) => void;

const stdoutWriter: MetricWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

function emf(
  namespace: string,
  dimensions: readonly (readonly string[])[],
  properties: Record<string, string>,
  values: Partial<Record<MetricName, number>>,
): string {
  const names = Object.keys(values) as MetricName[];
  return JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: dimensions.map((set) => [...set]),
        Metrics: names.map((name) => ({ Name: name, Unit: METRIC_UNIT[name] })),
      }],
    },
    ...properties,
    ...values,
  });
}

export class Metrics {
  constructor(
    private readonly namespace: string,
    private readonly environment: string,
    private readonly write: MetricWriter = stdoutWriter,
  ) {}

  completed(imageId: string, values: { processingMs: number; bytesIn: number; bytesOut: number; variants: number }): void {
    this.write(emf(this.namespace, ENVIRONMENT_DIMENSIONS, { [DIMENSION.environment]: this.environment, image_id: imageId }, {
      [METRIC.imagesProcessed]: 1,
      [METRIC.processingTime]: values.processingMs,
      [METRIC.bytesIn]: values.bytesIn,
      [METRIC.bytesOut]: values.bytesOut,
      [METRIC.variantsGenerated]: values.variants,
    }));
  }

  failed(imageId: string, reason: string, values: { processingMs: number; bytesIn: number }): void {
    this.write(emf(this.namespace, FAILURE_DIMENSIONS, {
      [DIMENSION.environment]: this.environment,
      [DIMENSION.reason]: reason,
      image_id: imageId,
    }, { [METRIC.imagesFailed]: 1, [METRIC.processingTime]: values.processingMs, [METRIC.bytesIn]: values.bytesIn }));
  }

  /** The sweep's count of stuck uploads: emitted every run, zero included, so the alarm sees a steady series. */
  stuck(count: number): void {
    this.write(emf(this.namespace, ENVIRONMENT_DIMENSIONS, { [DIMENSION.environment]: this.environment }, { [METRIC.uploadsStuck]: count }));
  }
}
