import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryAt } from '../../test/ros/nodeUnderTest.js';
import { TaskFocus } from '../focus/TaskFocus.js';
import { FixedGrouper } from '../focus/TaskGrouper.js';
import { TaskLog } from '../focus/TaskLog.js';
import type { Logger } from '../log.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import { Answerer } from './Answerer.js';
import { askAsTask } from './askAsTask.js';

const S = 1_000_000_000n;

describe('askAsTask (a question as the robot takes it)', () => {
  let dir: string;
  let store: SqliteMemoryStore;
  let focus: TaskFocus;
  const warnings: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-ask-task-'));
    store = new SqliteMemoryStore({ path: join(dir, 'memory.sqlite') });
    await store.put(memoryAt('r1', 0, 100, 'The red keys lie on the kitchen table.'));
    focus = new TaskFocus({
      taskLog: new TaskLog({ store, robotId: 'r1', grouper: new FixedGrouper(), switchAfter: 3 }),
      depth: 1,
      maxExamples: 5,
      adapters: [],
    });
    await focus.start();
    warnings.length = 0;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs the task, answers as of the time asked (the answer under the task id) and records the answer', async () => {
    const parts = { focus, answerer: new Answerer({ store, model: null, embedder: null }), store, logger };
    const { task, answer } = await askAsTask(parts, 'where are the keys?', { askedAt: 200n * S });
    assert.deepEqual([task.text, task.group, task.stamp], ['where are the keys?', 'general', 200n * S]);
    assert.equal(answer.questionId, task.id);
    assert.equal(focus.activeGroup, 'general', 'the focus follows the task');
    const [recorded] = await store.answeredTasks({ robotId: 'r1' });
    assert.deepEqual(recorded?.answer?.evidence, ['r1/0/100000000000']);
    // Asked before the memory was written: it is not seen.
    const early = await askAsTask(parts, 'where are the keys?', { askedAt: 105n * S, taskGroup: 'household' });
    assert.deepEqual(early.answer.evidence, []);
    assert.equal(early.task.group, 'household');
  });

  it('does not record the answer of a cancelled question', async () => {
    const cancelled = new AbortController();
    cancelled.abort();
    const answerer = {
      ask: async () => new Answerer({ store, model: null, embedder: null }).ask('where are the keys?', { askedAt: 200n * S }),
    };
    const { task } = await askAsTask({ focus, answerer, store, logger }, 'where are the keys?', {
      askedAt: 200n * S,
      signal: cancelled.signal,
    });
    const [logged] = await store.answeredTasks({ robotId: 'r1' });
    assert.equal(logged?.id, task.id, 'the question is logged');
    assert.equal(logged?.answer, null, 'its answer is not');
  });

  it('returns the answer when the store cannot keep it, with a warning', async () => {
    // A store where the task was never logged refuses the answer.
    const other = new SqliteMemoryStore({ path: join(dir, 'other.sqlite') });
    try {
      const parts = { focus, answerer: new Answerer({ store, model: null, embedder: null }), store: other, logger };
      const { answer } = await askAsTask(parts, 'where are the keys?', { askedAt: 200n * S });
      assert.match(answer.evidence[0]!.text, /red keys/);
      assert.match(warnings.join('\n'), /the answer to "where are the keys\?" was not recorded: .*no task/);
    } finally {
      await other.close();
    }
  });
});
