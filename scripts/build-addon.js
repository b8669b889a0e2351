#!/usr/bin/env node
// Builds (or confirms cached) the native addon for each interpreter given, default: the default one,
// and the report passes' addon (no Python).
//   node scripts/build-addon.js [python ...]
'use strict';
const path = require('node:path');
const dist = path.resolve(__dirname, '..', 'dist');
const { queryPython, checkSupported, defaultPython } = require(path.join(dist, 'tracer', 'python.js'));
const { ensureAddon, ensureReaderAddon } = require(path.join(dist, 'tracer', 'addon.js'));

const pythons = process.argv.slice(2);
if (pythons.length === 0) pythons.push(defaultPython());
let failed = false;
for (const py of pythons) {
  try {
    const info = queryPython(py);
    checkSupported(info, py);
    const dir = ensureAddon(info, (line) => console.error(line));
    console.error(`pymemprof: addon for Python ${info.version} ready in ${dir}`);
  } catch (e) {
    failed = true;
    console.error(`pymemprof: ${e.message}`);
  }
}
try {
  const file = ensureReaderAddon((line) => console.error(line));
  console.error(`pymemprof: report passes' addon ready: ${file}`);
} catch (e) {
  // The report commands fall back to their TypeScript passes (slower, same results).
  console.error(`pymemprof: ${e.message}`);
}
process.exitCode = failed ? 1 : 0;
