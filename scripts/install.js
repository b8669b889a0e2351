#!/usr/bin/env node
// npm install hook: compiles the TypeScript when dist/ is missing (a git checkout), then builds
// the native addon for the default interpreter. Other interpreters get theirs on first use.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(root, 'dist', 'tracer', 'addon.js'))) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
require('./build-addon.js');
