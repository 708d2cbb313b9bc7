/**
 * The processor's log lines, read as Lambda's JSON log format reads them: one JSON object per line, its `level`
 * the level CloudWatch records and filters on.
 */
import type { Context } from 'aws-lambda';
import type { Log as LogClass } from '../../../functions/processor/log';
import { FunctionOutput, captureFunctionOutput } from '../../support/function-output';

/** Variables Lambda sets that decide the Logger's level and cold start. */
const LAMBDA_VARIABLES = ['AWS_LAMBDA_LOG_LEVEL', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'POWERTOOLS_LOG_LEVEL', 'LOG_LEVEL'];

/** A fresh module, so its Logger is made, as in a new execution environment, from the variables given here. */
function loadLog(env: Record<string, string>): typeof LogClass {
  const saved = Object.fromEntries(LAMBDA_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of LAMBDA_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  let Log: typeof LogClass | undefined;
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Log = require('../../../functions/processor/log').Log;
    });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return Log!;
}

// Lambda sets both for an on-demand function whose application log level is INFO.
const ON_LAMBDA = { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_LAMBDA_LOG_LEVEL: 'INFO' };

const context = (requestId: string) => ({
  awsRequestId: requestId,
  functionName: 'imgopt-processor-dev',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:imgopt-processor-dev',
  memoryLimitInMB: '1024',
  getRemainingTimeInMillis: () => 60_000,
}) as unknown as Context;

const upload = { image_id: 'fe1362d9646aae74cd411109', bucket: 'imgopt-uploads-dev', key: 'photos/sunset hills.jpg' };

let output: FunctionOutput;
beforeEach(() => {
  output = captureFunctionOutput();
});
afterEach(() => jest.restoreAllMocks());

describe('Log', () => {
  const Log = loadLog(ON_LAMBDA);
  const log = new Log({ environment: 'dev' });

  test('writes each level as that level, the message as plain text and the fields as top-level fields', () => {
    const lines = log.with(upload);
    lines.info('processed', { variants: 22, bytes_in: 870_000 });
    lines.warn('upload refused', { reason: 'TRUNCATED_INPUT' });
    lines.error('could not release the upload', { error: 'ThrottlingException' });
    expect(output.lines).toHaveLength(3);
    expect(output.logs().map((line) => [line.level, line.message])).toEqual([
      ['INFO', 'processed'],
      ['WARN', 'upload refused'],
      ['ERROR', 'could not release the upload'],
    ]);
    const [info, warn, error] = output.logs();
    expect(info).toMatchObject({ ...upload, environment: 'dev', variants: 22, bytes_in: 870_000 });
    expect(warn).toMatchObject({ ...upload, reason: 'TRUNCATED_INPUT' });
    expect(error).toMatchObject({ ...upload, error: 'ThrottlingException' });
    // RFC 3339, which Lambda needs to keep the line's own timestamp.
    expect(Date.parse(info.timestamp)).not.toBeNaN();
    expect(info.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('gives an error its name, message and stack', () => {
    const thrown = new TypeError('socket hang up');
    log.with(upload).error('transient failure: the invocation fails so Lambda retries it', thrown, { error_name: 'TypeError' });
    const [line] = output.logs();
    expect(line).toMatchObject({ level: 'ERROR', message: 'transient failure: the invocation fails so Lambda retries it', ...upload, error_name: 'TypeError' });
    expect(line.error).toMatchObject({ name: 'TypeError', message: 'socket hang up' });
    expect(line.error.stack).toBe(thrown.stack);
    expect(line.error.stack).toMatch(/^TypeError: socket hang up\n\s+at /);
  });

  test('logs something thrown that is not an Error as its text', () => {
    log.error('transient failure', 'a string' as unknown as Error);
    expect(output.logs()[0]).toMatchObject({ level: 'ERROR', error: 'a string' });
  });

  test('carries the request id, the function and the cold start once a context is attached', () => {
    const Fresh = loadLog(ON_LAMBDA);
    const first = new Fresh({ environment: 'dev' });
    first.info('before any context');
    first.addContext(context('req-1'));
    first.info('first invocation');
    // The execution environment's next invocation is warm, whichever Log it logs through.
    const second = new Fresh({ environment: 'dev' });
    second.addContext(context('req-2'));
    second.with(upload).info('second invocation');
    const [before, cold, warm] = output.logs();
    expect(before).not.toHaveProperty('function_request_id');
    expect(cold).toMatchObject({
      function_request_id: 'req-1',
      cold_start: true,
      function_name: 'imgopt-processor-dev',
      function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:imgopt-processor-dev',
      function_memory_size: '1024',
    });
    expect(warm).toMatchObject({ function_request_id: 'req-2', cold_start: false, ...upload });
  });

  test('a child keeps its parent\'s fields and adds its own, the parent unchanged', () => {
    const parent = new Log({ environment: 'prod' });
    parent.with({ image_id: 'a' }).with({ key: 'k' }).info('child');
    parent.info('parent');
    const [child, own] = output.logs();
    expect(child).toMatchObject({ environment: 'prod', image_id: 'a', key: 'k' });
    expect(own.environment).toBe('prod');
    expect(own).not.toHaveProperty('image_id');
  });
});

describe('the application log level Lambda sets (AWS_LAMBDA_LOG_LEVEL)', () => {
  test('drops the lines below it', () => {
    const Log = loadLog({ AWS_LAMBDA_LOG_LEVEL: 'WARN' });
    const log = new Log();
    log.info('processed');
    log.warn('upload refused');
    log.error('transient failure');
    expect(output.logs().map((line) => line.level)).toEqual(['WARN', 'ERROR']);
  });

  test('defaults to INFO when Lambda sets none (the local runtime without a stack, the tests)', () => {
    const Log = loadLog({});
    new Log().info('processed');
    expect(output.logs().map((line) => line.level)).toEqual(['INFO']);
  });
});
