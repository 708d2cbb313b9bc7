/**
 * Processing metrics as CloudWatch Embedded Metric Format: one JSON line per image on stdout, written by Powertools
 * for AWS Lambda's Metrics, which CloudWatch Logs turns into metrics without any API call (no blocking
 * PutMetricData per variant). Names, namespace, units and dimension sets come from lib/metrics.ts, the module the
 * dashboard and alarms read; the image id rides along as a property, never as a dimension.
 */
import { Metrics as EmfMetrics } from '@aws-lambda-powertools/metrics';
import { DIMENSION, ENVIRONMENT_DIMENSIONS, FAILURE_DIMENSIONS, METRIC, METRIC_UNIT, MetricName } from '../../lib/metrics';

type DimensionName = (typeof DIMENSION)[keyof typeof DIMENSION];

export class Metrics {
  private readonly emf: EmfMetrics;

  constructor(namespace: string, environment: string) {
    this.emf = new EmfMetrics({ namespace });
    // Powertools adds a `service` dimension of its own; the alarms read exactly the sets of lib/metrics.ts.
    this.emf.clearDefaultDimensions();
    this.emf.setDefaultDimensions({ [DIMENSION.environment]: environment });
  }

  completed(imageId: string, values: { processingMs: number; bytesIn: number; bytesOut: number; variants: number }): void {
    this.publish(ENVIRONMENT_DIMENSIONS, {}, imageId, {
      [METRIC.imagesProcessed]: 1,
      [METRIC.processingTime]: values.processingMs,
      [METRIC.bytesIn]: values.bytesIn,
      [METRIC.bytesOut]: values.bytesOut,
      [METRIC.variantsGenerated]: values.variants,
    });
  }

  failed(imageId: string, reason: string, values: { processingMs: number; bytesIn: number }): void {
    this.publish(FAILURE_DIMENSIONS, { [DIMENSION.reason]: reason }, imageId, {
      [METRIC.imagesFailed]: 1,
      [METRIC.processingTime]: values.processingMs,
      [METRIC.bytesIn]: values.bytesIn,
    });
  }

  private publish(
    dimensionSets: readonly (readonly DimensionName[])[],
    dimensions: Partial<Record<DimensionName, string>>,
    imageId: string,
    values: Partial<Record<MetricName, number>>,
  ): void {
    for (const set of dimensionSets) {
      // Powertools publishes each set as the default dimension (Environment, in every set) plus the names given
      // here: an empty set stands for Environment alone.
      const others = set.filter((name) => name !== DIMENSION.environment);
      this.emf.addDimensions(Object.fromEntries(others.map((name) => [name, dimensions[name] ?? ''])));
    }
    for (const [name, value] of Object.entries(values) as [MetricName, number][]) {
      this.emf.addMetric(name, METRIC_UNIT[name], value);
    }
    this.emf.addMetadata('image_id', imageId);
    this.emf.publishStoredMetrics();
  }

  /** The sweep's count of stuck uploads: emitted every run, zero included, so the alarm sees a steady series. */
  stuck(count: number): void {
    this.emf.addMetric(METRIC.uploadsStuck, METRIC_UNIT[METRIC.uploadsStuck], count);
    this.emf.publishStoredMetrics();
  }
}
