import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding taskmem's package.json (beside msg/), from src/ under tsx or from dist/ once built. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'msg'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('packageRoot: cannot find the taskmem package folder (package.json beside msg/)');
    dir = parent;
  }
  return dir;
}
