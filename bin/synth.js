#!/usr/bin/env node
/*
 * Runs the CDKTF app (main.ts): esbuild compiles the project's TypeScript into one file, packages left external,
 * and Node runs it. This is what cdktf.json's "app" and `npm run synth` call. It is faster than a require hook
 * (no per-file transforms, and no source-map lookups for the stack trace cdktf captures with every token);
 * set NODE_OPTIONS=--enable-source-maps to see TypeScript lines in a stack trace.
 */
const path = require('node:path');
const { buildSync } = require('esbuild');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, '.build', 'app', 'main.js');
buildSync({
  entryPoints: [path.join(root, 'main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  outfile,
  logLevel: 'error',
});
require(outfile).run();
