/**
 * One execution environment of the local function: a Node process that loads the handler bundle once (the cold
 * start) and then runs one invocation at a time, as Lambda does. Started by local/function-host.ts with the
 * function's environment variables; it reports over IPC and exits when its parent goes away.
 *
 * Plain JavaScript on purpose: it runs the built bundle with `node` itself, from the tests as from `npm start`.
 */
'use strict';

const handlerFile = process.env.IMAGE_OPT_HANDLER_FILE;
const handlerName = process.env.IMAGE_OPT_HANDLER_NAME || 'handler';
if (!handlerFile || !process.send) {
  console.error('local/function-worker.js is started by local/function-host.ts (needs IMAGE_OPT_HANDLER_FILE and an IPC channel)');
  process.exit(2);
}

/** An error as Lambda's Node.js runtime reports it. */
function serializeError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: String(error.stack || '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error) };
}

let current;
function finish(message) {
  if (current && process.connected) process.send({ type: 'result', requestId: current, ...message });
  current = undefined;
}

// Like Lambda, an error that escapes the handler's promise ends the environment after failing the invocation.
process.on('uncaughtException', (error) => {
  finish({ ok: false, error: { ...serializeError(error), errorType: 'Runtime.UncaughtException' } });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  finish({ ok: false, error: { ...serializeError(reason), errorType: 'Runtime.UnhandledPromiseRejection' } });
  process.exit(1);
});
process.on('disconnect', () => process.exit(0));

let handler;
try {
  handler = require(handlerFile)[handlerName];
  if (typeof handler !== 'function') throw new Error(`${handlerFile} exports no function named ${handlerName}`);
} catch (error) {
  process.send({ type: 'init-error', error: { ...serializeError(error), errorType: 'Runtime.ImportModuleError' } });
  process.exit(1);
}

process.on('message', async (message) => {
  if (!message || message.type !== 'invoke') return;
  current = message.requestId;
  const context = {
    awsRequestId: message.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  try {
    const payload = await handler(message.event, context);
    finish({ ok: true, payload: payload === undefined ? null : payload });
  } catch (error) {
    finish({ ok: false, error: serializeError(error) });
  }
});

process.send({ type: 'ready' });
