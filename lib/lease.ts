/**
 * How long an attempt holds an upload, and when an upload counts as stuck: one place for the function, its
 * construct, the monitoring and the local runtime.
 *
 * An attempt claims the metadata item for `UPLOAD_LEASE.seconds` and renews the claim every `renewEverySeconds`
 * while it works. An attempt that dies (out of memory, a crashed runtime, a killed process, a timeout) stops
 * renewing, so its claim runs out within `seconds`. Lambda retries a failed asynchronous invocation after about one
 * minute, then two: both later than the lease, so the retry finds the dead attempt's claim expired and takes the
 * upload over. (The lease used to be the invocation's remaining time plus 5 s, 125 s in prod: the retry found the
 * dead attempt's claim still valid, ended as a success and stranded the upload.)
 *
 * An event that finds a live claim is not consumed: the invocation fails with `UploadInProgress`, so Lambda's retries
 * (then the failure queue) carry it until the holder has finished, or died and its lease has run out.
 */
export const UPLOAD_LEASE = {
  /** Three missed renewals: a busy event loop (a long encode) can delay one renewal without losing the claim. */
  seconds: 30,
  renewEverySeconds: 10,
} as const;

/**
 * An upload PROCESSING for longer than the function's timeout plus this margin is stuck: no attempt can still be
 * working on it, and Lambda's two retries (about 1 and 2 minutes apart, each waiting out a 30 s lease) are over.
 */
export const STUCK_MARGIN_SECONDS = 300;

/** How often the stuck sweep runs (the scheduled invocation, and the local runtime's timer). */
export const STUCK_SWEEP_MINUTES = 5;

/** Seconds after which an upload still PROCESSING is stuck. */
export function stuckAfterSeconds(functionTimeoutSeconds: number): number {
  return functionTimeoutSeconds + STUCK_MARGIN_SECONDS;
}

/**
 * An ended upload whose outcome was not announced within this time is announced by the sweep (its invocation died
 * between the final write and the publish, and its retries did not get through either).
 */
export const ANNOUNCE_GRACE_SECONDS = 120;

/** How far back the sweep looks for ended uploads that were never announced. */
export const ANNOUNCE_LOOKBACK_HOURS = 24;
