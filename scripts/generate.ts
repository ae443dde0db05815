/**
 * `npm run gen`: regenerates every file derived from a single source, so that tests find none stale:
 * config/taskmem.yaml and the README parameter table from the configuration schema, and the rclnodejs message
 * typings from the interface definitions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderParamsYaml } from '../src/config/paramsYaml.js';
import { renderParamsTable, withParamsTable } from '../src/config/paramsTable.js';
import { renderRosTypes, repoRoot, ROS_TYPES_FILE } from './generate-ros-types.js';

export const PARAMS_YAML_FILE = 'config/taskmem.yaml';

function write(relative: string, text: string): void {
  const path = join(repoRoot, relative);
  let before: string | undefined;
  try {
    before = readFileSync(path, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === text) return;
  writeFileSync(path, text);
  console.log(`wrote ${relative}`);
}

write(PARAMS_YAML_FILE, renderParamsYaml());
write('README.md', withParamsTable(readFileSync(join(repoRoot, 'README.md'), 'utf8'), renderParamsTable()));
write(ROS_TYPES_FILE, renderRosTypes(repoRoot));
