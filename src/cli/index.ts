/**
 * The command line. Thin: parses, then lazily imports the module that does the work. Errors are
 * PymemprofErrors carrying their exit code; nothing here calls process.exit.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { PymemprofError } from '../errors';
import { parseRunArgs } from './run-args';
import { prestartReadWorker } from '../capture/read-worker-start';

const RUN_HELP = `
Usage: pymemprof run [options] (script.py | -m module | -c code) [args...]

Run a Python program under the memory tracer and write a capture.

Options (before the program; everything after it goes to the program):
  -o, --output FILE   capture file (default: pymemprof-<script>.<pid>.bin)
  --python PATH       interpreter or virtualenv python (default: $PYMEMPROF_PYTHON, else python3)
  -q, --quiet         do not print the summary after the run
  --flamegraph        also write the HTML flamegraph report (capture name with .html)
  --sample-bytes N    sample allocations: one per N bytes allocated on average (Poisson; sizes
                      weighted so totals stay unbiased; far lower overhead; no arena model)
  -h, --help          show this help

The exit status is the program's (128+N when it was killed by signal N).
`;

async function runCommand(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(RUN_HELP.trimStart());
    return 0;
  }
  const a = parseRunArgs(argv);
  const { run } = await import('../tracer/run');
  const interrupt = () => {}; // Ctrl+C reaches the program (same process group); we wait for it
  process.on('SIGINT', interrupt);
  try {
    const result = await run({
      script: a.script,
      module: a.module,
      code: a.code,
      args: a.args,
      python: a.python,
      output: a.output,
      sampleBytes: a.sampleBytes,
      noStats: a.quiet,
      log: (line) => process.stderr.write(line + '\n'),
    });
    for (const w of result.warnings) process.stderr.write(`pymemprof: warning: ${w}\n`);
    if (!a.quiet) {
      const { formatRunSummary } = await import('../report/text');
      if (result.ending.kind === 'signal') process.stderr.write(`pymemprof: the program was ${result.ending.description}\n`);
      if (result.stats) process.stderr.write(formatRunSummary(result.stats, result.capturePath) + '\n');
    }
    if (a.flamegraph && fs.existsSync(result.capturePath)) {
      const { flamegraphCommand } = await import('./reports');
      await flamegraphCommand(result.capturePath, { view: 'peak', temporaryThreshold: '1' });
    }
    return result.ending.status;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function collectOption(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function buildProgram(setExit: (code: number) => void): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command: CommandClass } = require('commander') as typeof import('commander');
  const program: Command = new CommandClass('pymemprof')
    .description('Memory profiler for CPython programs: every allocation with its full stack')
    .version(require('../../package.json').version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run')
    .description('run a Python program under the tracer (see pymemprof run --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async () => {
      const i = process.argv.indexOf('run');
      setExit(await runCommand(process.argv.slice(i + 1)));
    });

  program
    .command('stats')
    .description('totals, peak and top locations of a capture')
    .argument('<file>', 'capture file')
    .option('--json', 'print the figures as JSON')
    .option('--extended', 'with --json: add size histogram, domains and top locations by bytes and count')
    .action(async (file: string, opts: { json?: boolean; extended?: boolean }) => {
      prestartReadWorker(file);
      if (opts.json && !opts.extended) {
        const { computeStats } = await import('../analysis/compute-stats');
        const warnings: string[] = [];
        const stats = await computeStats(file, { onWarning: (w) => warnings.push(w) });
        for (const w of warnings) process.stderr.write(`pymemprof: warning: ${w}\n`);
        process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
      } else {
        const { analyze, termOptions } = await import('./reports');
        const { statsJsonFromReport, statsExtended, formatStatsExtended } = await import('../report/summary');
        const a = await analyze(file);
        const stats = statsJsonFromReport(a);
        const ext = statsExtended(a);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ ...stats, extended: ext }, null, 2) + '\n');
        } else {
          const { formatStats } = await import('../report/text');
          process.stdout.write(formatStats(stats) + '\n' + formatStatsExtended(ext, termOptions()) + '\n');
        }
      }
      setExit(0);
    });

  program
    .command('flamegraph')
    .description('write a self-contained HTML flamegraph report of a capture')
    .argument('<file>', 'capture file')
    .option('-o, --output <file>', 'HTML file to write (default: the capture name with .html)')
    .option('--view <view>', 'initial view: peak, leaks, total or temporary', 'peak')
    .option('--inverted', 'start with inverted stacks (allocating functions at the base)')
    .option('--split-threads', 'start with one root per thread')
    .option('--temporary-threshold <n>', 'temporary = freed before N other allocations happen', '1')
    .action(async (file: string, opts: { output?: string; view: string; inverted?: boolean; splitThreads?: boolean; temporaryThreshold: string }) => {
      prestartReadWorker(file);
      const { flamegraphCommand } = await import('./reports');
      setExit(await flamegraphCommand(file, opts));
    });

  program
    .command('summary')
    .description('top locations at the peak: own and total bytes, allocation counts')
    .argument('<file>', 'capture file')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'number of locations', '20')
    .option('--view <view>', 'peak, leaks, total or temporary', 'peak')
    .action(async (file: string, opts: { json?: boolean; limit: string; view: string }) => {
      prestartReadWorker(file);
      const { summaryCommand } = await import('./reports');
      setExit(await summaryCommand(file, opts));
    });

  program
    .command('tree')
    .description('the biggest stacks at the peak as an indented tree')
    .argument('<file>', 'capture file')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'number of leaf stacks to show', '10')
    .option('--view <view>', 'peak, leaks, total or temporary', 'peak')
    .action(async (file: string, opts: { json?: boolean; limit: string; view: string }) => {
      prestartReadWorker(file);
      const { treeCommand } = await import('./reports');
      setExit(await treeCommand(file, opts));
    });

  program
    .command('arenas')
    .description("pymalloc's arenas, pools and size classes at a moment, as CPython's PYTHONMALLOCSTATS prints them")
    .argument('<file>', 'capture file')
    .option(
      '--at <when>',
      "peak (the heap's high-water mark), end (default), mark:NAME (mark:NAME#K: its K-th occurrence) or a time in ms since the start; twice: the difference",
      collectOption,
    )
    .option('--diff <when>', 'show the difference from this moment to --at (default end)')
    .option('--pinning', 'rank source lines by the pools and arenas their live blocks keep alive')
    .option('-n, --limit <n>', 'with --pinning: number of source lines', '20')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { at?: string[]; diff?: string; pinning?: boolean; limit: string; json?: boolean }) => {
      const { arenasCommand } = await import('./reports');
      setExit(await arenasCommand(file, opts));
    });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let code = 0;
  try {
    // `run` parses its own arguments: it starts without loading commander (its start-up is part of
    // every traced run's wall time).
    if (argv[2] === 'run') return await runCommand(argv.slice(3));
    const program = buildProgram((c) => (code = c));
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof PymemprofError) {
      process.stderr.write(`pymemprof: ${e.message}\n`);
      return e.exitCode;
    }
    const ce = e as { code?: string; exitCode?: number };
    if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) return ce.exitCode ?? 2;
    throw e;
  }
  return code;
}
