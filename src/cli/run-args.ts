/**
 * Splits `pymemprof run` arguments the way the interpreter does: our options come first; the
 * program starts at the script, `-m module` or `-c code`, and everything after it is the program's
 * (so `pymemprof run script.py --quiet` passes --quiet to the script).
 */
import { PymemprofError } from '../errors';

export interface RunArgs {
  output?: string;
  python?: string;
  /** --sample-bytes N: Poisson sampling, one sample per N bytes allocated on average. */
  sampleBytes?: number;
  quiet: boolean;
  /** Also write the HTML flamegraph report next to the capture. */
  flamegraph: boolean;
  script?: string;
  module?: string;
  code?: string;
  args: string[];
}

/** Our options that take a value, by every spelling. */
const VALUE_OPTIONS: Record<string, 'output' | 'python'> = { '-o': 'output', '--output': 'output', '--python': 'python' };
const FLAG_OPTIONS: Record<string, 'quiet' | 'flamegraph'> = { '-q': 'quiet', '--quiet': 'quiet', '--flamegraph': 'flamegraph' };

export function parseRunArgs(argv: string[]): RunArgs {
  const out: RunArgs = { quiet: false, flamegraph: false, args: [] };
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new PymemprofError(`run: option ${name} needs a value`, 'BAD_ARGUMENT', 2);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (name === '--sample-bytes') {
      const v = eq > 0 ? a.slice(eq + 1) : value(name);
      const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || n < 1) {
        throw new PymemprofError(`run: --sample-bytes needs a whole number of bytes >= 1, not ${JSON.stringify(v)}`, 'BAD_ARGUMENT', 2);
      }
      out.sampleBytes = n;
    } else if (VALUE_OPTIONS[name]) {
      out[VALUE_OPTIONS[name]] = eq > 0 ? a.slice(eq + 1) : value(name);
    } else if (FLAG_OPTIONS[a]) {
      out[FLAG_OPTIONS[a]] = true;
    } else if (a === '-m' || a === '-c') {
      const target = value(a);
      if (a === '-m') out.module = target;
      else out.code = target;
      out.args = argv.slice(i + 1);
      return out;
    } else if (a.startsWith('-m') && a.length > 2) {
      out.module = a.slice(2);
      out.args = argv.slice(i + 1);
      return out;
    } else if (a === '--') {
      if (argv[i + 1] === undefined) break;
      out.script = argv[i + 1];
      out.args = argv.slice(i + 2);
      return out;
    } else if (a.startsWith('-') && a !== '-') {
      throw new PymemprofError(`run: unknown option ${a} (options go before the script; see pymemprof run --help)`, 'BAD_ARGUMENT', 2);
    } else {
      out.script = a;
      out.args = argv.slice(i + 1);
      return out;
    }
  }
  throw new PymemprofError('run: nothing to run; give a script, -m module or -c code', 'BAD_ARGUMENT', 2);
}
