#!/usr/bin/env node
// Regenerates the protobufjs static code for proto/capture.proto:
//   src/capture/generated/capture.js    (pbjs -t static-module -w commonjs --force-number)
//   src/capture/generated/capture.d.ts  (pbts)
// Usage: node scripts/gen-proto.js [--out DIR]   (default: src/capture/generated)
// Run through `npm run gen:proto`. test/unit/gen-proto.test.ts fails if the checked-in files differ.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const HEADER =
  '// GENERATED FILE - DO NOT EDIT.\n' +
  '// Generated from proto/capture.proto by scripts/gen-proto.js (protobufjs-cli pbjs/pbts).\n' +
  '// Regenerate with: npm run gen:proto\n';

function run(main, args) {
  return new Promise((resolve, reject) => {
    main(args, (err, output) => (err ? reject(err) : resolve(output)));
  });
}

async function generate(outDir) {
  const { pbjs, pbts } = require('protobufjs-cli');
  fs.mkdirSync(outDir, { recursive: true });
  const protoFile = path.join(root, 'proto', 'capture.proto');
  const jsFile = path.join(outDir, 'capture.js');
  const dtsFile = path.join(outDir, 'capture.d.ts');
  // pbjs resolves imports relative to the given path; pass a path relative to root for stable output.
  const cwd = process.cwd();
  process.chdir(root);
  let js;
  try {
    js = await run(pbjs.main, [
      '-t', 'static-module',
      '-w', 'commonjs',
      '--force-number',
      '--no-verify', // the reader validates frames itself
      '--no-convert',
      '--no-delimited',
      '--no-typeurl',
      path.relative(root, protoFile),
    ]);
  } finally {
    process.chdir(cwd);
  }
  js = js.replace(/^\/\*eslint-disable[^\n]*\n/, '');
  fs.writeFileSync(jsFile, HEADER + js);
  let dts = await run(pbts.main, ['--no-comments', jsFile]);
  fs.writeFileSync(dtsFile, HEADER + dts);
  return { jsFile, dtsFile };
}

module.exports = { generate };

if (require.main === module) {
  const args = process.argv.slice(2);
  let outDir = path.join(root, 'src', 'capture', 'generated');
  const i = args.indexOf('--out');
  if (i >= 0) {
    if (!args[i + 1]) {
      console.error('gen-proto: --out needs a directory');
      process.exit(2);
    }
    outDir = path.resolve(args[i + 1]);
  }
  generate(outDir).then(
    (r) => console.log(`gen-proto: wrote ${path.relative(process.cwd(), r.jsFile)} and ${path.relative(process.cwd(), r.dtsFile)}`),
    (err) => {
      console.error(`gen-proto: ${err && err.stack ? err.stack : err}`);
      process.exit(1);
    },
  );
}
