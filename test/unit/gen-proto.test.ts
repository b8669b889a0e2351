import { describe, expect, it, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { cleanupTemp, tempDir } from '../helpers/capture-builder';

const root = resolve(__dirname, '../..');
const requireCjs = createRequire(__filename);

afterAll(cleanupTemp);

describe('generated protobuf code', () => {
  it('matches what `npm run gen:proto` would generate from proto/capture.proto', async () => {
    const { generate } = requireCjs(join(root, 'scripts/gen-proto.js')) as {
      generate(outDir: string): Promise<{ jsFile: string; dtsFile: string }>;
    };
    const out = tempDir();
    await generate(out);
    for (const f of ['capture.js', 'capture.d.ts']) {
      const fresh = readFileSync(join(out, f), 'utf8');
      const checkedIn = readFileSync(join(root, 'src/capture/generated', f), 'utf8');
      expect(checkedIn.startsWith('// GENERATED FILE - DO NOT EDIT.'), `${f} has the do-not-edit header`).toBe(true);
      expect(checkedIn, `src/capture/generated/${f} is stale: run npm run gen:proto`).toBe(fresh);
    }
  });
});
