/**
 * `npm run bench [-- name…]`: runs every bench/*.bench.ts (or those whose file name contains one of the names).
 * Each bench module's default export runs its measurements side by side and prints its own ratios.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((name) => f.includes(name)))
  .sort();
if (files.length === 0) {
  console.error(`bench: nothing matches ${filters.join(', ') || '*.bench.ts'}`);
  process.exit(1);
}
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}`);
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
  await module.default();
}
