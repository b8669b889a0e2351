import { describe, expect, it } from 'vitest';
import { formatBytes, formatRunSummary, formatStats, sanitize } from '../../src/report/text';
import type { StatsJson } from '../../src/analysis/compute-stats';
import { BadCaptureError, BuildError, PymemprofError, PythonNotFoundError } from '../../src/errors';

const stats: StatsJson = {
  format_version: 1,
  python_version: '3.11.7',
  argv: ['fixture.py', 'a b'],
  duration_ms: 1532.4,
  allocations: 123456,
  frees: 120000,
  total_allocated_bytes: 104857600,
  peak_bytes: 52434953,
  peak_time_ms: 3.5,
  end_bytes: 4206,
  threads: [{ id: 1, name: 'MainThread' }],
  top_peak_locations: [
    { file: 'fixture.py', line: 7, function: 'build', bytes: 52428857, allocations: 1 },
    { file: 'evil\x1b[31m.py', line: 12, function: 'main\x07\x9b2J', bytes: 4096, allocations: 3 },
    { file: 'c.py', line: 1, function: 'f', bytes: 10, allocations: 1 },
    { file: 'd.py', line: 1, function: 'f', bytes: 9, allocations: 1 },
    { file: 'e.py', line: 1, function: 'f', bytes: 8, allocations: 1 },
    { file: 'f.py', line: 1, function: 'sixth', bytes: 7, allocations: 1 },
  ],
};

describe('text reports', () => {
  it('formats bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(52428857)).toBe('50.0 MiB');
  });

  it('strips terminal control sequences from traced names', () => {
    expect(sanitize('a\x1b[31mred\x1b[0m')).toBe('ared');
    expect(sanitize('t\x1b]0;title\x07x')).toBe('tx');
    expect(sanitize('b\x9b2Jc\x00d\x7fe\x85f')).toBe('bcdef');
    expect(sanitize('line\nbreak\ttab')).toBe('line break tab');
    expect(sanitize('ünïcode ✓')).toBe('ünïcode ✓');
  });

  it('summarises a run in a few lines with the top 5 locations', () => {
    const s = formatRunSummary(stats, '/tmp/out.bin');
    expect(s).toContain('1.53 s');
    expect(s).toContain('123,456');
    expect(s).toContain('100.0 MiB allocated');
    expect(s).toContain('peak heap:       50.0 MiB at 3.5 ms');
    expect(s).toContain('50.0 MiB  fixture.py:7 build (1 block)');
    expect(s).toContain('4.0 KiB  evil.py:12 main (3 blocks)');
    expect(s).not.toContain('sixth');
    expect(s).toContain('/tmp/out.bin');
    expect(s).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('formats stats for a terminal', () => {
    const s = formatStats(stats);
    expect(s).toContain("fixture.py 'a b'");
    expect(s).toContain('MainThread');
    expect(s).toContain('sixth');
    expect(s).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});

describe('errors', () => {
  it('carry codes and exit codes', () => {
    const e = new BadCaptureError('x.bin: not a pymemprof capture');
    expect(e).toBeInstanceOf(PymemprofError);
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.exitCode, e.name]).toEqual(['BAD_CAPTURE', 2, 'BadCaptureError']);
    expect(new BadCaptureError('v', 'CAPTURE_VERSION').code).toBe('CAPTURE_VERSION');
    expect([new PythonNotFoundError('p').code, new BuildError('b').code]).toEqual(['PYTHON_NOT_FOUND', 'BUILD_ERROR']);
    expect(new PymemprofError('m').exitCode).toBe(1);
  });
});
