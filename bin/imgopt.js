#!/usr/bin/env node
/*
 * The `imgopt` command (package.json "bin"): compiles the TypeScript command line on the fly with esbuild-register
 * and runs it. esbuild and esbuild-register are dependencies, not devDependencies, so the command runs from a plain
 * `npm ci --omit=dev`. In a checkout: `npx imgopt <command>` (npm runs the project's own bin) or
 * `npm run imgopt -- <command>`.
 */
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED || 'true';
require('esbuild-register/dist/node').register({ target: 'node20' });

require('../cli/main')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
