import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import { parseAdapter } from '../config/sections/focus.js';
import { TaskFocus } from './TaskFocus.js';
import { TaskLog } from './TaskLog.js';
import { FixedGrouper } from './TaskGrouper.js';

describe('TaskFocus and TaskLog', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-tasks-'));
    path = join(dir, 'm.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function focusOn(store: SqliteMemoryStore, depth = 1) {
    const focus = new TaskFocus({
      taskLog: new TaskLog({ store, robotId: 'r1', grouper: new FixedGrouper(), switchAfter: 3 }),
      depth,
      maxExamples: 5,
      adapters: ['counting=taskmem-counting'],
    });
    await focus.start();
    return focus;
  }

  it('switches the active group on the third task of a new group, and names recent tasks of the group', async () => {
    const store = new SqliteMemoryStore({ path });
    const focus = await focusOn(store);
    assert.equal(focus.context(), null, 'no focus before any task');
    let t = 1_000n;
    for (const q of ['What colour was the mug?', 'What colour was the door?']) await focus.note({ text: q, stamp: t++, group: 'colour' });
    assert.deepEqual(focus.context(), { group: 'colour', examples: ['What colour was the mug?', 'What colour was the door?'], depth: 1 });
    await focus.note({ text: 'How many chairs?', stamp: t++, group: 'counting' });
    await focus.note({ text: 'How many boxes?', stamp: t++, group: 'counting' });
    assert.equal(focus.activeGroup, 'colour');
    await focus.note({ text: 'How many carts?', stamp: t, group: 'counting' });
    assert.deepEqual(focus.context(), {
      group: 'counting',
      examples: ['How many chairs?', 'How many boxes?', 'How many carts?'],
      depth: 1,
      model: 'taskmem-counting',
    });
    await store.close();

    // A restart keeps the active group and its examples.
    const reopened = new SqliteMemoryStore({ path });
    const restored = await focusOn(reopened);
    assert.equal(restored.activeGroup, 'counting');
    assert.equal(restored.context()?.examples.length, 3);
    await reopened.close();
  });

  it('a stray task of another group does not switch, and depth 0 turns focus off', async () => {
    const store = new SqliteMemoryStore({ path });
    const focus = await focusOn(store, 2);
    await focus.note({ text: 'a', stamp: 1n, group: 'colour' });
    await focus.note({ text: 'b', stamp: 2n, group: 'counting' });
    await focus.note({ text: 'c', stamp: 3n, group: 'counting' });
    await focus.note({ text: 'd', stamp: 4n, group: 'colour' });
    await focus.note({ text: 'e', stamp: 5n, group: 'counting' });
    assert.equal(focus.activeGroup, 'colour');
    assert.equal(focus.context()?.depth, 2);
    focus.setDepth(0);
    assert.equal(focus.context(), null);
    const logged = await store.recentTasks('r1', 10);
    assert.equal(logged.length, 5);
    await store.close();
  });

  it('puts a task without a group in "general"; adapter entries read as group=served_model', async () => {
    const store = new SqliteMemoryStore({ path });
    const focus = await focusOn(store);
    const task = await focus.note({ text: 'Where are my keys?', stamp: 9n });
    assert.equal(task.group, 'general');
    await store.close();
    assert.equal(parseAdapter('counting'), null);
    assert.equal(parseAdapter('counting=two words'), null);
    assert.deepEqual([' a = m1 ', 'b=m2', 'Counting Problem=taskmem-counting'].map(parseAdapter), [
      { group: 'a', model: 'm1' },
      { group: 'b', model: 'm2' },
      { group: 'Counting Problem', model: 'taskmem-counting' },
    ]);
  });
});
