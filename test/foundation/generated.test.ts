import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderParamsYaml } from '../../src/config/paramsYaml.js';
import { PARAMS_END, PARAMS_START, renderParamsTable, withParamsTable } from '../../src/config/paramsTable.js';
import { listParams } from '../../src/config/schema.js';
import { repoRoot } from '../../scripts/generate-ros-types.js';

const read = (relative: string) => readFileSync(join(repoRoot, relative), 'utf8');

describe('files generated from the configuration schema (run `npm run gen` when these fail)', () => {
  it('config/taskmem.yaml is up to date', () => {
    assert.ok(read('config/taskmem.yaml') === renderParamsYaml(), 'config/taskmem.yaml is stale: run npm run gen');
  });

  it('the README parameter table is up to date', () => {
    const readme = read('README.md');
    assert.ok(readme === withParamsTable(readme, renderParamsTable()), 'README.md parameter table is stale: run npm run gen');
  });

  it('config/taskmem.yaml describes each parameter and spells doubles with a decimal point', () => {
    const lines = renderParamsYaml().split('\n');
    for (const { name, meta } of listParams()) {
      const key = name.split('.').at(-1)!;
      const index = lines.findIndex((line, i) => line.trimStart().startsWith(`${key}:`) && lines[i - 1]!.includes(meta.description));
      assert.ok(index > 0, `${name} with its description`);
      if (meta.rosType === 'double') assert.match(lines[index]!, /: -?\d+\.\d+$/, name);
    }
  });

  it('the table generator rewrites only the text between the markers', () => {
    const document = `# Title\n\nbefore\n${PARAMS_START}\nold table\n${PARAMS_END}\nafter\n`;
    const updated = withParamsTable(document, '| new |');
    assert.equal(updated, `# Title\n\nbefore\n${PARAMS_START}\n| new |\n${PARAMS_END}\nafter\n`);
    assert.throws(() => withParamsTable('# no markers\n', '| new |'), /lacks <!-- params:start -->/);
  });
});
