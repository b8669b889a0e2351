#!/bin/sh
':' //; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then PYMEMPROF_HELD_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export PYMEMPROF_HELD_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"
'use strict';
// The line above is both shell and JavaScript (to JavaScript, a string and a comment). Run as a
// command, the shell hides NODE_EXTRA_CA_CERTS from this Node process, which makes no TLS
// connections: Node 20 parses that whole file at start (55 ms when it names the system bundle),
// before any script runs. It is put back at once, for the traced program and every other child.
const held = process.env.PYMEMPROF_HELD_EXTRA_CA_CERTS;
if (held !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = held;
  delete process.env.PYMEMPROF_HELD_EXTRA_CA_CERTS;
}
require('../dist/cli/index.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`pymemprof: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 70;
  });
