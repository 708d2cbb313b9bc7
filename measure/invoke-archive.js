/**
 * Invokes the processor's handler from an unzipped deployment archive, as Lambda would: `require('<dir>/index.js')`
 * then `handler(event, context)`. Plain JavaScript so it runs under any Node binary (Lambda's Node 22, under qemu
 * for arm64) with nothing but the archive.
 *
 *   node invoke-archive.js <archive-dir> <event.json> <result.json>
 *
 * Writes { node, arch, loadMs, invokeMs, report | error } to result.json (stdout carries the function's own logs
 * and metrics lines).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [dir, eventFile, resultFile] = process.argv.slice(2);
if (!dir || !eventFile || !resultFile) {
  console.error('usage: node invoke-archive.js <archive-dir> <event.json> <result.json>');
  process.exit(2);
}
const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
const loadStarted = process.hrtime.bigint();
const { handler } = require(path.resolve(dir, 'index.js'));
const loadMs = Number(process.hrtime.bigint() - loadStarted) / 1e6;
const deadline = Date.now() + 900_000;
const context = { awsRequestId: `local-${process.pid}`, functionName: 'processor', getRemainingTimeInMillis: () => deadline - Date.now() };
const invokeStarted = process.hrtime.bigint();
const finish = (outcome) => {
  const invokeMs = Number(process.hrtime.bigint() - invokeStarted) / 1e6;
  fs.writeFileSync(resultFile, JSON.stringify({ node: process.version, arch: process.arch, loadMs, invokeMs, ...outcome }));
};
handler(event, context).then(
  (report) => finish({ report }),
  (error) => finish({ error: { name: error.name, message: error.message } }),
);
