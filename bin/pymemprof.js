#!/usr/bin/env node
'use strict';
require('../dist/cli/index.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`pymemprof: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 70;
  });
