/**
 * The local stand-in for Lambda's execution environments: up to `maxInstances` Node processes
 * (local/function-worker.js), each loading the handler bundle once and running one invocation at a time with the
 * function's environment variables, memory and timeout. A timed-out or crashed environment is thrown away and a
 * fresh one starts for the next invocation, as on Lambda.
 *
 * Each environment runs in its own process group, so a Ctrl-C in the terminal reaches only the runtime, which
 * lets in-flight invocations finish before it stops them.
 */
import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { stopChild } from './child-process';
import type { FunctionError } from './failure-queue';

export interface FunctionHostOptions {
  /** The built handler (functions/bundle.ts `bundleHandlerForHost`). */
  readonly handlerFile: string;
  /** @default 'handler' */
  readonly handlerName?: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Environment variables of the function (its configuration and the AWS endpoints), on top of this process's. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The function's application log level under the JSON log format, passed as Lambda passes it
   * (`AWS_LAMBDA_LOG_LEVEL`, with `AWS_LAMBDA_LOG_FORMAT=JSON`).
   *
   * @default - none: the code's own default
   */
  readonly logLevel?: string;
  /** Execution environments that may run at once. */
  readonly maxInstances: number;
  /** Receives the function's output and the START/END/REPORT lines, as its log group would. */
  readonly log: (text: string) => void;
}

export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: FunctionError; readonly durationMs: number };

interface WorkerMessage {
  readonly type: 'ready' | 'init-error' | 'result';
  readonly requestId?: string;
  readonly ok?: boolean;
  readonly payload?: unknown;
  readonly error?: FunctionError;
}

interface Instance {
  readonly child: ChildProcess;
  /** Resolves with the init error when the handler failed to load. */
  readonly ready: Promise<FunctionError | undefined>;
}

const WORKER = path.join(__dirname, 'function-worker.js');
/** Variables of the caller's shell that would point the function at another account or endpoint. */
const NOT_INHERITED = ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_DEFAULT_PROFILE', 'NODE_OPTIONS'];

export class FunctionHost {
  private readonly idle: Instance[] = [];
  private readonly all = new Set<Instance>();
  private readonly waiting: Array<(instance: Instance) => void> = [];
  private closed = false;

  constructor(private readonly options: FunctionHostOptions) {}

  /** Runs one invocation in a free execution environment (waiting for one when all are busy). */
  async invoke(event: unknown, requestId: string): Promise<InvokeResult> {
    if (this.closed) throw new Error('the function host is stopped');
    const instance = await this.acquire();
    const initError = await instance.ready;
    if (initError) {
      this.discard(instance);
      return { ok: false, error: initError, durationMs: 0 };
    }
    this.options.log(`START RequestId: ${requestId} Version: $LATEST\n`);
    const result = await this.run(instance, event, requestId);
    this.options.log(`END RequestId: ${requestId}\n`);
    this.options.log(
      `REPORT RequestId: ${requestId}\tDuration: ${result.durationMs.toFixed(2)} ms\tMemory Size: ${this.options.memoryMb} MB${result.ok ? '' : `\tStatus: ${result.error.errorType ?? 'error'}`}\n`,
    );
    if (this.all.has(instance)) this.release(instance);
    return result;
  }

  /** Stops every execution environment; an invocation still running fails. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((instance) => stopChild(instance.child, 2000)));
    this.all.clear();
    this.idle.length = 0;
  }

  private acquire(): Promise<Instance> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.all.size < this.options.maxInstances) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(instance: Instance): void {
    const next = this.waiting.shift();
    if (next) next(instance);
    else this.idle.push(instance);
  }

  /** Forgets a dead environment and hands its slot to whoever waits for one. */
  private discard(instance: Instance): void {
    if (!this.all.delete(instance)) return;
    const index = this.idle.indexOf(instance);
    if (index >= 0) this.idle.splice(index, 1);
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
    const next = this.waiting.shift();
    if (next && !this.closed) next(this.spawn());
  }

  private spawn(): Instance {
    const o = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of NOT_INHERITED) delete env[name];
    Object.assign(env, o.environment, {
      AWS_LAMBDA_FUNCTION_NAME: o.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${o.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/${Date.now()}`,
      // Each environment starts on demand, as without provisioned concurrency: its first invocation is a cold start.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      ...(o.logLevel ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: o.logLevel } : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      IMAGE_OPT_HANDLER_FILE: o.handlerFile,
      IMAGE_OPT_HANDLER_NAME: o.handlerName ?? 'handler',
    });
    const child = fork(WORKER, [], {
      env,
      // The V8 heap gets the function's memory; native (image) memory is not capped locally.
      execArgv: [`--max-old-space-size=${o.memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Out of the terminal's process group (see above); Windows has no process groups to leave.
      detached: process.platform !== 'win32',
    });
    child.stdout?.on('data', (chunk: Buffer) => o.log(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => o.log(chunk.toString()));
    const ready = new Promise<FunctionError | undefined>((resolve) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') resolve(undefined);
        else if (message.type === 'init-error') resolve(message.error);
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => resolve({
        errorType: 'Runtime.ExitError',
        errorMessage: `Runtime exited before it was ready: ${signal ? `signal ${signal}` : `exit status ${code}`}`,
      }));
    });
    const instance: Instance = { child, ready };
    child.once('exit', () => this.discard(instance));
    this.all.add(instance);
    return instance;
  }

  private run(instance: Instance, event: unknown, requestId: string): Promise<InvokeResult> {
    const { child } = instance;
    const started = Date.now();
    const timeoutMs = this.options.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const done = (result: { ok: true; payload: unknown } | { ok: false; error: FunctionError }) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve({ ...result, durationMs: Date.now() - started });
      };
      const onMessage = (message: WorkerMessage) => {
        if (message.type !== 'result' || message.requestId !== requestId) return;
        done(message.ok ? { ok: true, payload: message.payload } : { ok: false, error: message.error as FunctionError });
      };
      const onExit = (code: number | null, signal: string | null) => done({
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
        },
      });
      const timer = setTimeout(() => {
        this.discard(instance);
        done({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'invoke', requestId, event, deadline: started + timeoutMs, functionArn: this.options.functionArn });
    });
  }
}
