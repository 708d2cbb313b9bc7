/**
 * The processor's Embedded Metric Format lines: the namespace, dimension sets, names and units the dashboard and
 * alarms read (lib/metrics.ts), exactly, with the image id as a property only.
 */
import {
  DIMENSION, ENVIRONMENT_DIMENSIONS, FAILURE_DIMENSIONS, METRIC, METRICS_NAMESPACE, METRIC_UNIT, MetricName,
} from '../../../lib/metrics';
import { Metrics } from '../../../functions/processor/metrics';
import { FunctionOutput, captureFunctionOutput } from '../../support/function-output';

let output: FunctionOutput;
beforeEach(() => {
  output = captureFunctionOutput();
});
afterEach(() => jest.restoreAllMocks());

const definitions = (...names: MetricName[]) => names.map((name) => ({ Name: name, Unit: METRIC_UNIT[name] }));

describe('Metrics', () => {
  const metrics = new Metrics(METRICS_NAMESPACE, 'dev');

  test('a completed image: one line, the per-environment series of every processing metric', () => {
    const before = Date.now();
    metrics.completed('fe1362d9646aae74cd411109', { processingMs: 2820, bytesIn: 870_000, bytesOut: 6_121_000, variants: 22 });
    expect(output.lines).toHaveLength(1);
    const [line] = output.metrics();
    expect(line._aws.CloudWatchMetrics).toEqual([{
      Namespace: METRICS_NAMESPACE,
      Dimensions: ENVIRONMENT_DIMENSIONS.map((set) => [...set]),
      Metrics: definitions(METRIC.imagesProcessed, METRIC.processingTime, METRIC.bytesIn, METRIC.bytesOut, METRIC.variantsGenerated),
    }]);
    expect(line._aws.Timestamp).toBeGreaterThanOrEqual(before);
    const { _aws, ...values } = line;
    expect(values).toEqual({
      [DIMENSION.environment]: 'dev',
      image_id: 'fe1362d9646aae74cd411109',
      [METRIC.imagesProcessed]: 1,
      [METRIC.processingTime]: 2820,
      [METRIC.bytesIn]: 870_000,
      [METRIC.bytesOut]: 6_121_000,
      [METRIC.variantsGenerated]: 22,
    });
  });

  test('a failed image: the per-environment total and the per-reason series', () => {
    metrics.failed('520764baec5869d88bc71cf6', 'TRUNCATED_INPUT', { processingMs: 70, bytesIn: 1500 });
    expect(output.lines).toHaveLength(1);
    const [line] = output.metrics();
    expect(line._aws.CloudWatchMetrics).toEqual([{
      Namespace: METRICS_NAMESPACE,
      Dimensions: FAILURE_DIMENSIONS.map((set) => [...set]),
      Metrics: definitions(METRIC.imagesFailed, METRIC.processingTime, METRIC.bytesIn),
    }]);
    const { _aws, ...values } = line;
    expect(values).toEqual({
      [DIMENSION.environment]: 'dev',
      [DIMENSION.reason]: 'TRUNCATED_INPUT',
      image_id: '520764baec5869d88bc71cf6',
      [METRIC.imagesFailed]: 1,
      [METRIC.processingTime]: 70,
      [METRIC.bytesIn]: 1500,
    });
  });

  test('each line stands alone: nothing of one image carries over to the next', () => {
    metrics.failed('a', 'CORRUPT_INPUT', { processingMs: 1, bytesIn: 1 });
    metrics.completed('b', { processingMs: 2, bytesIn: 2, bytesOut: 2, variants: 2 });
    const [, completed] = output.metrics();
    expect(completed._aws.CloudWatchMetrics[0].Dimensions).toEqual([[DIMENSION.environment]]);
    expect(completed).not.toHaveProperty(DIMENSION.reason);
    expect(completed).not.toHaveProperty(METRIC.imagesFailed);
    expect(completed.image_id).toBe('b');
  });

  test('never makes the image id (or Powertools\' service) a dimension', () => {
    metrics.completed('c', { processingMs: 1, bytesIn: 1, bytesOut: 1, variants: 1 });
    metrics.failed('d', 'UNKNOWN_FORMAT', { processingMs: 1, bytesIn: 1 });
    const dimensions = output.metrics().flatMap((line) => line._aws.CloudWatchMetrics[0].Dimensions.flat());
    expect(new Set(dimensions)).toEqual(new Set([DIMENSION.environment, DIMENSION.reason]));
    expect(output.metrics().every((line) => !('service' in line))).toBe(true);
  });
});
