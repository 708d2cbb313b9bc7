/**
 * The stuck sweep, run on a schedule (EventBridge every `STUCK_SWEEP_MINUTES`; the local runtime's timer):
 * - counts the uploads PROCESSING for longer than the function's timeout plus a margin (lib/lease.ts): no attempt
 *   can still be working on them and Lambda's retries are over. It emits `UploadsStuck` (the alarm reads it) and
 *   logs each one; `imgopt report --stuck` lists them and `imgopt replay <image_id>` re-drives one;
 * - announces the ended uploads whose outcome was never published (their invocation and its retries died between
 *   the final write and the publish), so every outcome is announced at least once.
 */
import { ANNOUNCE_GRACE_SECONDS, ANNOUNCE_LOOKBACK_HOURS } from '../../lib/lease';
import type { Announcer } from './announce';
import type { Log } from './log';
import type { Metrics } from './metrics';
import type { MetadataStore } from './records';

/** At most this many items are listed or announced per run (the count of stuck items is exact up to it). */
export const SWEEP_LIMIT = 500;

export interface SweepReport {
  readonly stuck: number;
  readonly stuck_image_ids: readonly string[];
  readonly announced: number;
}

export interface SweepDeps {
  readonly store: MetadataStore;
  readonly announcer: Announcer;
  readonly metrics: Metrics;
  readonly log: Log;
  readonly stuckAfterSeconds: number;
  readonly now?: () => Date;
}

export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const now = (deps.now ?? (() => new Date()))();
  const { store, log } = deps;
  const stuck = await store.processingSince(new Date(now.getTime() - deps.stuckAfterSeconds * 1000), SWEEP_LIMIT);
  for (const record of stuck) {
    log.warn('upload stuck: PROCESSING for longer than the function can run', {
      image_id: record.image_id, bucket: record.source.bucket, key: record.source.key, since: record.updated_at, attempts: record.attempts,
    });
  }
  deps.metrics.stuck(stuck.length);

  const unannounced = await store.unannounced(
    new Date(now.getTime() - ANNOUNCE_LOOKBACK_HOURS * 3_600_000),
    new Date(now.getTime() - ANNOUNCE_GRACE_SECONDS * 1000),
    SWEEP_LIMIT,
  );
  let announced = 0;
  let problem: unknown;
  for (const record of unannounced) {
    try {
      await deps.announcer.announce(record, log.with({ image_id: record.image_id }));
      announced += 1;
    } catch (error) {
      // The others are still tried; the sweep fails at the end, so the error is counted and alarmed.
      problem ??= error;
      log.error('could not announce an unannounced outcome', { image_id: record.image_id, error: (error as Error).message });
    }
  }
  log.info('sweep done', { stuck: stuck.length, unannounced: unannounced.length, announced });
  if (problem) throw problem;
  return { stuck: stuck.length, stuck_image_ids: stuck.map((record) => record.image_id), announced };
}
