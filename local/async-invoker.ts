/**
 * Lambda's asynchronous invocation, locally: S3 events (and `Event` invokes) are queued, run with bounded
 * concurrency, retried `maxRetries` times after an error (with a short backoff instead of Lambda's one and two
 * minutes), and when retries run out or the event grows older than `maxEventAgeSeconds`, sent to the failure queue
 * in the on-failure destination's message shape. Retries keep the request id, as on Lambda.
 *
 * Queued events are written to `<data>/invocations/` until they finish, so an event that was waiting (or running)
 * when the runtime stopped runs again when it starts next: nothing is dropped. An event whose attempt was cut off
 * (the runtime killed or stopped mid-invocation) counts that attempt as failed, as Lambda counts a crashed one, and
 * waits the retry delay before it runs again: its dead attempt's claim on the upload must run out first.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailureCondition, FunctionError, failureMessage, sendFailureMessage } from './failure-queue';
import type { InvokeResult } from './function-host';

export interface AsyncInvokerOptions {
  readonly invoke: (event: unknown, requestId: string) => Promise<InvokeResult>;
  readonly functionArn: string;
  /** Invocations that run at once. */
  readonly concurrency: number;
  /** Retries after a failed attempt (0 to 2 on Lambda). */
  readonly maxRetries: number;
  readonly maxEventAgeSeconds: number;
  /** Wait before the first retry; each further retry waits twice as long. */
  readonly retryDelayMs: number;
  /** Where queued events are kept until they finish. */
  readonly pendingDir: string;
  readonly failureQueueDir: string;
  /** Told about every step, for the runtime's console. */
  readonly onProgress?: (progress: InvocationProgress) => void;
}

export type InvocationProgress =
  | { readonly type: 'started'; readonly requestId: string; readonly event: unknown; readonly attempt: number; readonly attempts: number }
  | { readonly type: 'succeeded'; readonly requestId: string; readonly event: unknown; readonly attempt: number; readonly payload: unknown; readonly durationMs: number }
  | {
      readonly type: 'retrying';
      readonly requestId: string;
      readonly event: unknown;
      readonly attempt: number;
      /** Attempts in all: the first plus the retries. */
      readonly attempts: number;
      readonly error: FunctionError;
      readonly delayMs: number;
    }
  | {
      readonly type: 'failed';
      readonly requestId: string;
      readonly event: unknown;
      readonly attempts: number;
      readonly condition: FailureCondition;
      readonly error: FunctionError;
      /** The failure queue message written. */
      readonly file: string;
    };

interface PendingInvocation {
  readonly requestId: string;
  readonly event: unknown;
  /** When the event was accepted (its age counts from here, retries included). */
  readonly receivedAt: number;
  attempts: number;
  lastError?: FunctionError;
}

export class AsyncInvoker {
  private readonly ready: PendingInvocation[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(private readonly options: AsyncInvokerOptions) {
    fs.mkdirSync(options.pendingDir, { recursive: true });
  }

  /** Accepts an event (Lambda's 202): it is kept on disk and runs as soon as a slot is free. Returns the request id. */
  enqueue(event: unknown): string {
    const invocation: PendingInvocation = { requestId: randomUUID(), event, receivedAt: Date.now(), attempts: 0 };
    this.persist(invocation);
    if (!this.stopping) {
      this.ready.push(invocation);
      this.pump();
    }
    return invocation.requestId;
  }

  /** Queues again the events a previous run left unfinished; returns how many. */
  resume(): number {
    const cutOff: FunctionError = {
      errorType: 'Runtime.ExitError',
      errorMessage: 'the local runtime stopped during this attempt (killed, or stopped before it finished)',
    };
    const found = fs.readdirSync(this.options.pendingDir)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => {
        try {
          return [JSON.parse(fs.readFileSync(path.join(this.options.pendingDir, name), 'utf8')) as PendingInvocation];
        } catch {
          return [];
        }
      })
      .sort((a, b) => a.receivedAt - b.receivedAt);
    for (const invocation of found) {
      if (invocation.attempts === 0) this.ready.push(invocation);
      else this.retryLater(invocation, invocation.lastError ?? cutOff);
    }
    this.pump();
    return found.length;
  }

  /** Invocations running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Resolves once nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts nothing new and waits up to `waitMs` for the running invocations. What did not finish stays on disk
   * for the next start. Resolves with the number of invocations still running.
   */
  async stop(waitMs: number): Promise<number> {
    this.stopping = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.ready.length = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.running),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); }),
    ]);
    clearTimeout(timer);
    return this.running.size;
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.running.size === 0 && this.retryTimers.size === 0;
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.options.concurrency && this.ready.length > 0) {
      const invocation = this.ready.shift() as PendingInvocation;
      const run = this.attempt(invocation).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async attempt(invocation: PendingInvocation): Promise<void> {
    const o = this.options;
    if (Date.now() - invocation.receivedAt > o.maxEventAgeSeconds * 1000) {
      this.fail(invocation, 'EventAgeExceeded', invocation.lastError ?? {
        errorType: 'EventAgeExceeded',
        errorMessage: `the event waited longer than the maximum event age (${o.maxEventAgeSeconds} s)`,
      });
      return;
    }
    invocation.attempts += 1;
    this.persist(invocation);
    const { requestId, event, attempts } = invocation;
    o.onProgress?.({ type: 'started', requestId, event, attempt: attempts, attempts: o.maxRetries + 1 });
    const result = await o.invoke(event, requestId).catch((error: Error): InvokeResult => ({
      ok: false,
      error: { errorType: 'Runtime.Unavailable', errorMessage: error.message },
      durationMs: 0,
    }));
    if (result.ok) {
      this.forget(invocation);
      o.onProgress?.({ type: 'succeeded', requestId, event, attempt: attempts, payload: result.payload, durationMs: result.durationMs });
      return;
    }
    invocation.lastError = result.error;
    if (this.stopping) {
      // Stopped mid-attempt: the event stays on disk and runs again at the next start.
      this.persist(invocation);
      return;
    }
    this.retryLater(invocation, result.error);
  }

  /** After a failed attempt: the next one after the retry delay (doubled per attempt), or the failure queue. */
  private retryLater(invocation: PendingInvocation, error: FunctionError): void {
    const o = this.options;
    const { requestId, event, attempts } = invocation;
    if (attempts > o.maxRetries) {
      this.fail(invocation, 'RetriesExhausted', error);
      return;
    }
    invocation.lastError = error;
    const delayMs = o.retryDelayMs * 2 ** (attempts - 1);
    this.persist(invocation);
    o.onProgress?.({ type: 'retrying', requestId, event, attempt: attempts, attempts: o.maxRetries + 1, error, delayMs });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.ready.push(invocation);
      this.pump();
    }, delayMs);
    this.retryTimers.add(timer);
  }

  private fail(invocation: PendingInvocation, condition: FailureCondition, error: FunctionError): void {
    const file = sendFailureMessage(this.options.failureQueueDir, failureMessage({
      requestId: invocation.requestId,
      functionArn: this.options.functionArn,
      condition,
      invokeCount: invocation.attempts,
      event: invocation.event,
      error,
    }));
    this.forget(invocation);
    this.options.onProgress?.({
      type: 'failed',
      requestId: invocation.requestId,
      event: invocation.event,
      attempts: invocation.attempts,
      condition,
      error,
      file,
    });
  }

  private file(invocation: PendingInvocation): string {
    return path.join(this.options.pendingDir, `${invocation.requestId}.json`);
  }

  private persist(invocation: PendingInvocation): void {
    const file = this.file(invocation);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(invocation));
    fs.renameSync(`${file}.tmp`, file);
  }

  private forget(invocation: PendingInvocation): void {
    fs.rmSync(this.file(invocation), { force: true });
  }
}
