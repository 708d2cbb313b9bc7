/**
 * The local S3-compatible server (s3rver), in its own Node process.
 *
 * s3rver signs ListObjects continuation tokens with DES, which OpenSSL 3 only offers through its legacy provider:
 * this process is started with `--openssl-legacy-provider` so the flag never leaks into the caller's process. It
 * reports its port and every ObjectCreated event to the parent over IPC, and exits when the parent goes away.
 *
 * Plain JavaScript on purpose: it is spawned by `node` directly, from the tests as from `npm start`.
 */
'use strict';
const S3rver = require('s3rver');

const directory = process.env.S3_SERVER_DIRECTORY;
const port = Number(process.env.S3_SERVER_PORT || 0);
const address = process.env.S3_SERVER_HOST || '127.0.0.1';
if (!directory || !process.send) {
  console.error('local/s3-server.js is started by local/servers.ts (needs S3_SERVER_DIRECTORY and an IPC channel)');
  process.exit(2);
}

const server = new S3rver({ address, port, directory, silent: true, allowMismatchedSignatures: false });
server.on('event', (event) => process.send({ type: 'event', event }));
server.run().then(
  (listening) => process.send({ type: 'ready', port: listening.port }),
  (error) => {
    process.send({ type: 'error', message: error.code === 'EADDRINUSE' ? `port ${port} is in use` : error.message });
    process.exit(1);
  },
);
// The parent closing the channel (exit, crash, Ctrl-C) ends this process: no orphan servers.
process.on('disconnect', () => server.close().finally(() => process.exit(0)));
// A Ctrl-C in the terminal reaches the whole process group: the parent decides when this server stops (after the
// invocations still running have written their results), so the signal itself is ignored here.
process.on('SIGINT', () => undefined);
