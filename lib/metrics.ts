/**
 * The processing metrics: one namespace, one set of names and dimensions, used by the function that emits them
 * (CloudWatch Embedded Metric Format) and by the dashboard and alarms that read them.
 */

export const METRICS_NAMESPACE = 'ImageOptimization';

export const METRIC = {
  /** Milliseconds from the event's arrival to the last variant written, per image. */
  processingTime: 'ProcessingTime',
  /** Images that ended COMPLETED. */
  imagesProcessed: 'ImagesProcessed',
  /** Images that ended FAILED; also emitted per `Reason`. */
  imagesFailed: 'ImagesFailed',
  /** Bytes of the uploads read. */
  bytesIn: 'BytesIn',
  /** Bytes of all variants written. */
  bytesOut: 'BytesOut',
  /** Variant objects written. */
  variantsGenerated: 'VariantsGenerated',
  /** Uploads PROCESSING for longer than the function's timeout plus a margin (lib/lease.ts), counted by the sweep. */
  uploadsStuck: 'UploadsStuck',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const METRIC_UNIT: Readonly<Record<MetricName, 'Milliseconds' | 'Count' | 'Bytes'>> = {
  ProcessingTime: 'Milliseconds',
  ImagesProcessed: 'Count',
  ImagesFailed: 'Count',
  BytesIn: 'Bytes',
  BytesOut: 'Bytes',
  VariantsGenerated: 'Count',
  UploadsStuck: 'Count',
};

export const DIMENSION = {
  /** The environment suffix (dev, staging, prod, pr3515): every metric carries it. */
  environment: 'Environment',
  /** The failure reason code, on `ImagesFailed` only (in addition to the per-environment total). */
  reason: 'Reason',
} as const;

/** Dimension sets every metric is emitted with: the per-environment series the alarms read. */
export const ENVIRONMENT_DIMENSIONS = [[DIMENSION.environment]] as const;
/** Dimension sets `ImagesFailed` is emitted with: the total plus one series per reason. */
export const FAILURE_DIMENSIONS = [[DIMENSION.environment], [DIMENSION.environment, DIMENSION.reason]] as const;
