#!/usr/bin/env node
// Builds and runs the C++ unit tests of the capture core (test/cpp, GoogleTest through ctest).
//   node scripts/test-cpp.js          (npm run test:cpp)
// Configures build/cpp-tests with -DPYMEMPROF_TESTS=ON (Ninja when available, else Unix Makefiles),
// builds, runs `ctest --output-on-failure` and exits with its status.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buildDir = path.join(root, 'build', 'cpp-tests');

function run(cmd, args, opts = {}) {
  console.error(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) {
    console.error(`test-cpp: cannot run ${cmd}: ${r.error.message}`);
    return 127;
  }
  return r.status === null ? 1 : r.status;
}

function has(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function main() {
  if (!has('cmake')) {
    console.error('test-cpp: cmake not found on PATH (install cmake >= 3.15)');
    return 1;
  }
  // A build directory configured with another generator cannot be reused: start over.
  const cache = path.join(buildDir, 'CMakeCache.txt');
  let generator = has('ninja') ? 'Ninja' : 'Unix Makefiles';
  if (fs.existsSync(cache)) {
    const m = /^CMAKE_GENERATOR:INTERNAL=(.*)$/m.exec(fs.readFileSync(cache, 'utf8'));
    if (m && m[1] !== generator) fs.rmSync(buildDir, { recursive: true, force: true });
  }
  fs.mkdirSync(buildDir, { recursive: true });
  const buildType = process.env.PYMEMPROF_CPP_BUILD_TYPE || 'RelWithDebInfo';
  let status = run('cmake', ['-S', root, '-B', buildDir, '-G', generator, '-DPYMEMPROF_TESTS=ON',
    `-DCMAKE_BUILD_TYPE=${buildType}`]);
  if (status !== 0) return status;
  const jobs = String(Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  status = run('cmake', ['--build', buildDir, '--target', 'capture_test', '--parallel', jobs]);
  if (status !== 0) return status;
  return run('ctest', ['--test-dir', buildDir, '--output-on-failure'], {
    env: { ...process.env, GTEST_COLOR: process.env.GTEST_COLOR || 'yes' },
  });
}

process.exitCode = main();
