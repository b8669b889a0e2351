/**
 * Attribution: every distinctive allocation of test/fixtures/attribution.py is found in the capture
 * (by its size) on the right file, function and line; for some, the whole stack is checked.
 * Lines come from the fixture's @site: / @call: markers, never hard-coded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { CaptureTables, FrameLocation } from '../../src/capture/reader';
import { describeEachPython } from '../helpers/pythons';
import { bytearrayBuffer, collectRecords, expectStatus, fixture, fmtStack, markerLine, sites, tempDir, traced, SizedRecord } from './util';

const MAIN = fixture('attribution.py');
const HELPER = fixture('attribution_helper.py');

/** Expected innermost function: qualname on 3.11+ (co_qualname), co_name before. */
function expectedFunction(site: string, minor: number): string {
  const q = minor >= 11;
  switch (site) {
    case 'function':
      return 'plain_function';
    case 'method':
      return q ? 'Widget.method' : 'method';
    case 'staticmethod':
      return q ? 'Widget.static' : 'static';
    case 'class-body':
      return 'Body';
    case 'lambda':
      return '<lambda>';
    case 'comprehension':
      // PEP 709: comprehensions are inlined into their function from 3.12
      return minor >= 12 ? 'comprehension' : q ? 'comprehension.<locals>.<listcomp>' : '<listcomp>';
    case 'generator':
      return 'generator';
    case 'decorator-wrapper':
      return q ? 'logged.<locals>.wrapper' : 'wrapper';
    case 'decorated':
      return 'decorated';
    case 'recursion':
      return 'recurse';
    case 'imported':
      return 'helper_alloc';
    case 'imported-init':
      return q ? 'Store.__init__' : '__init__';
    case 'property':
      return q ? 'Lazy.value' : 'value';
    case 'coroutine':
      return 'coroutine';
    default:
      throw new Error(`no expectation for site ${site}`);
  }
}

const EXPECTED_COUNT: Record<string, number> = { comprehension: 3, generator: 2 };

describeEachPython('attribution', (py) => {
  let dir: string;
  let tables: CaptureTables;
  let records: SizedRecord[];
  const allSites = [...sites(MAIN).map((s) => ({ ...s, file: MAIN })), ...sites(HELPER).map((s) => ({ ...s, file: HELPER }))];
  const bySize = new Map(allSites.map((s) => [bytearrayBuffer(s.size), s]));

  beforeAll(async () => {
    dir = tempDir(`attr${py.minor}`);
    const capture = path.join(dir, 'attr.bin');
    const r = await traced(py.path, capture, [MAIN]);
    expectStatus(r, 0, 'pymemprof run attribution.py');
    expect(r.stdout).toContain('attribution done 16');
    ({ records, tables } = await collectRecords(capture, (s) => bySize.has(s)));
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const stackOf = (siteName: string): FrameLocation[][] => {
    const s = allSites.find((x) => x.name === siteName)!;
    return records.filter((r) => r.size === bytearrayBuffer(s.size)).map((r) => tables.stack(r.stack));
  };

  test('every site of the fixture has an expectation', () => {
    expect(allSites.length).toBe(14);
    for (const s of allSites) expect(() => expectedFunction(s.name, py.minor)).not.toThrow();
  });

  test.each(sites(MAIN).concat(sites(HELPER)).map((s) => [s.name]))('innermost frame of the %s allocation', (name) => {
    const s = allSites.find((x) => x.name === name)!;
    const stacks = stackOf(name);
    expect(stacks.length, `allocations of ${bytearrayBuffer(s.size)} bytes`).toBe(EXPECTED_COUNT[name] ?? 1);
    for (const st of stacks) {
      const inner = st[st.length - 1];
      expect(inner, `stack ${fmtStack(st)}`).toEqual({ file: s.file, line: s.line, function: expectedFunction(name, py.minor) });
    }
  });

  const mainCall = () => ({ file: MAIN, line: markerLine(MAIN, 'call:main'), function: '<module>' });
  const inMain = (marker: string) => ({ file: MAIN, line: markerLine(MAIN, marker), function: 'main' });

  test('full stack: function and method called from main() called from the module', () => {
    const fn = stackOf('function')[0]!;
    expect(fn, fmtStack(fn)).toEqual([
      mainCall(),
      inMain('call:function'),
      { file: MAIN, line: markerLine(MAIN, 'site:function'), function: 'plain_function' },
    ]);
    const m = stackOf('method')[0]!;
    expect(m.slice(0, 2), fmtStack(m)).toEqual([mainCall(), inMain('call:method')]);
    expect(m.length).toBe(3);
  });

  test('full stack: recursion depth is visible as repeated frames, each on the recursive call line', () => {
    const st = stackOf('recursion')[0]!;
    const fn = 'recurse';
    const callLine = markerLine(MAIN, 'call:recursion');
    expect(st, fmtStack(st)).toEqual([
      mainCall(),
      inMain('call:recursion-top'),
      { file: MAIN, line: callLine, function: fn },
      { file: MAIN, line: callLine, function: fn },
      { file: MAIN, line: callLine, function: fn },
      { file: MAIN, line: callLine, function: fn },
      { file: MAIN, line: markerLine(MAIN, 'site:recursion'), function: fn },
    ]);
  });

  test('full stack: the decorated function runs under its wrapper', () => {
    const wrapper = py.minor >= 11 ? 'logged.<locals>.wrapper' : 'wrapper';
    const st = stackOf('decorated')[0]!;
    expect(st, fmtStack(st)).toEqual([
      mainCall(),
      inMain('call:decorated'),
      { file: MAIN, line: markerLine(MAIN, 'call:decorator-wrapper'), function: wrapper },
      { file: MAIN, line: markerLine(MAIN, 'site:decorated'), function: 'decorated' },
    ]);
    const w = stackOf('decorator-wrapper')[0]!;
    expect(w.slice(0, 2), fmtStack(w)).toEqual([mainCall(), inMain('call:decorated')]);
  });

  test('full stack: a generator resumed by its consumer sits under the consumer line', () => {
    for (const st of stackOf('generator')) {
      expect(st, fmtStack(st)).toEqual([
        mainCall(),
        inMain('call:generator'),
        { file: MAIN, line: markerLine(MAIN, 'site:generator'), function: 'generator' },
      ]);
    }
  });

  test('full stack: a property getter sits under the line that reads it', () => {
    const st = stackOf('property')[0]!;
    expect(st, fmtStack(st)).toEqual([
      mainCall(),
      inMain('call:property'),
      { file: MAIN, line: markerLine(MAIN, 'site:property'), function: py.minor >= 11 ? 'Lazy.value' : 'value' },
    ]);
  });

  test('full stack: a coroutine resumed by the asyncio event loop runs under main() and asyncio.run', () => {
    const st = stackOf('coroutine')[0]!;
    expect(st.slice(0, 2), fmtStack(st)).toEqual([mainCall(), inMain('call:coroutine')]);
    expect(st.some((f) => /asyncio/.test(f.file)), fmtStack(st)).toBe(true);
    expect(st[st.length - 1]).toEqual({ file: MAIN, line: markerLine(MAIN, 'site:coroutine'), function: 'coroutine' });
  });

  test('full stack: an allocation in an imported module is under its caller in the main file', () => {
    const st = stackOf('imported')[0]!;
    expect(st, fmtStack(st)).toEqual([
      mainCall(),
      inMain('call:imported'),
      { file: HELPER, line: markerLine(HELPER, 'site:imported'), function: 'helper_alloc' },
    ]);
  });
});
