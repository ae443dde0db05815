import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { run } from './focus.js';

describe('taskmem focus', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-focus-cli-'));
    path = join(dir, 'm.sqlite');
    const store = new SqliteMemoryStore({ path });
    for (const [i, group] of ['counting', 'counting', 'colour'].entries()) {
      await store.putPreference({
        id: `p${i}`,
        segmentId: `r/0/${i}`,
        group,
        prompt: `rules; segment ${i}`,
        chosen: `three chairs ${i}`,
        rejected: `a room ${i}`,
        examples: ['How many chairs?'],
        chosenEmbedding: null,
        rejectedEmbedding: null,
        createdAt: BigInt(i),
      });
    }
    await store.putFocusVector({ group: 'counting', vector: new Float32Array([1, 2]), pairs: 2, trainedAt: 5n });
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exports the preference pairs of a group as JSONL ready for DPO training', async () => {
    const out = join(dir, 'pairs.jsonl');
    assert.equal(await run(['export', '--group', 'counting', '--out', out, '--store.path', path]), 0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(Object.keys(lines[0]!).sort(), ['chosen', 'created_at', 'examples', 'group', 'prompt', 'rejected', 'segment_id']);
    assert.ok(lines.every((l) => l.group === 'counting' && (l.chosen as string).startsWith('three chairs')));
  });

  it('resets a focus vector, and refuses a reset without a group', async () => {
    assert.equal(await run(['reset', '--store.path', path]), 2);
    assert.equal(await run(['reset', '--group', 'counting', '--store.path', path]), 0);
    const store = new SqliteMemoryStore({ path });
    assert.equal(await store.focusVector('counting'), null);
    await store.close();
    assert.equal(await run(['status', '--store.path', path]), 0);
    assert.equal(await run(['dance', '--store.path', path]), 2);
  });
});
