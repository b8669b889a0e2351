/**
 * The command line. Thin: parses, then lazily imports the module that does the work. Errors are
 * PymemprofErrors carrying their exit code; nothing here calls process.exit.
 */
import { Command } from 'commander';
import { PymemprofError } from '../errors';
import { parseRunArgs } from './run-args';

const RUN_HELP = `
Usage: pymemprof run [options] (script.py | -m module | -c code) [args...]

Run a Python program under the memory tracer and write a capture.

Options (before the program; everything after it goes to the program):
  -o, --output FILE   capture file (default: pymemprof-<script>.<pid>.bin)
  --python PATH       interpreter or virtualenv python (default: $PYMEMPROF_PYTHON, else python3)
  -q, --quiet         do not print the summary after the run
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
      noStats: a.quiet,
      log: (line) => process.stderr.write(line + '\n'),
    });
    for (const w of result.warnings) process.stderr.write(`pymemprof: warning: ${w}\n`);
    if (!a.quiet) {
      const { formatRunSummary } = await import('../report/text');
      if (result.ending.kind === 'signal') process.stderr.write(`pymemprof: the program was ${result.ending.description}\n`);
      if (result.stats) process.stderr.write(formatRunSummary(result.stats, result.capturePath) + '\n');
    }
    return result.ending.status;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('pymemprof')
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
    .action(async (file: string, opts: { json?: boolean }) => {
      const { computeStats } = await import('../analysis/compute-stats');
      const warnings: string[] = [];
      const stats = await computeStats(file, { onWarning: (w) => warnings.push(w) });
      for (const w of warnings) process.stderr.write(`pymemprof: warning: ${w}\n`);
      if (opts.json) {
        process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
      } else {
        const { formatStats } = await import('../report/text');
        process.stdout.write(formatStats(stats) + '\n');
      }
      setExit(0);
    });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
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
