import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED, consoleModule } from '../../scripts/build-console.mjs';

describe('the committed web console module', () => {
  it('is built from the current web/console sources (else: npm run build:console)', async () => {
    expect(readFileSync(GENERATED, 'utf8') === (await consoleModule()), 'src/web/console-assets.gen.ts is stale: run `npm run build:console`').toBe(true);
  });
});
