/**
 * The load script in a CI-sized run: uploads through the real SDK into a local runtime of its own (real servers,
 * the real bundled handler in Lambda-like worker processes), with a window of injected 503s, throttling and dropped
 * connections between the function and its services; then every uploaded key is reconciled. Nothing may be lost,
 * no outcome may be wrong, and every COMPLETED item's variant objects must exist. The full 1000-upload run is
 * `npm run load`; its numbers are in the README.
 */
import { LoadOptions, LoadResult, runLoad } from '../../measure/load';

/** A CI-sized run of small images: nothing lost, no wrong outcome, every variant object there, every ending announced. */
async function expectNothingLost(options: Partial<LoadOptions> & Pick<LoadOptions, 'count'>): Promise<LoadResult> {
  const result = await runLoad({ concurrency: 8, sizes: 'small', badShare: 0.05, faults: 0, timeoutSeconds: 60, ...options });
  expect(result.faultsInjected).toBeGreaterThan(0);
  expect(result.lost).toBe(0);
  expect(result.unannounced).toBe(0);
  expect(result.wrong).toBe(0);
  expect(result.missingObjects).toBe(0);
  return result;
}

test('80 uploads with a fault window: every one COMPLETED or FAILED with its reason and announced, none lost', async () => {
  const result = await expectNothingLost({ count: 80, faults: 0.2, faultSeconds: 6 });
  const failed = Object.values(result.failed).reduce((sum, n) => sum + n, 0);
  expect(result.completed + failed + result.queued).toBe(80);
  expect(Object.keys(result.failed).every((reason) => reason === 'CORRUPT_INPUT')).toBe(true);
}, 180_000);

test('40 uploads while SNS refuses every publish for a window: every upload that ended is announced with its final status', async () => {
  // Every publish in the window is refused, the SDK's own retries too; Lambda's retry, after the window, announces.
  const result = await expectNothingLost({ count: 40, badShare: 0.1, snsFaults: 1, faultSeconds: 4 });
  expect(result.queued).toBe(0);
  const failed = Object.values(result.failed).reduce((sum, n) => sum + n, 0);
  expect(result.completed + failed).toBe(40);
  expect(result.notifications).toBeGreaterThanOrEqual(40);
}, 180_000);
