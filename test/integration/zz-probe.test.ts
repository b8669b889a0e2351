import { test, expect } from 'vitest';
import { run } from '../../src/index';
import { discoverPythons } from '../helpers/pythons';
test('probe', async () => {
  console.log(JSON.stringify(discoverPythons()));
  const r = await run({ code: 'print(1)', python: '/root/.pyenv/versions/3.11.7/bin/python3', output: '/tmp/vt/p.bin', stdio: 'pipe' });
  console.log(JSON.stringify(r.ending), r.warnings);
});
