import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mean, simulateFocus } from '../../test/support/focusSimulation.js';
import { Random, SimulatedJudge, SimulatedPolicy, taskQuestion, worldSegment } from '../../test/support/FocusWorld.js';
import { SqliteMemoryStore } from '../memory/SqliteMemoryStore.js';
import { silentLogger } from '../log.js';
import { FocusedMemorizer } from './FocusedMemorizer.js';
import { LexicalEmbedder } from './LexicalEmbedder.js';

describe('FocusedMemorizer', () => {
  it('keeps clearly more task-relevant facts at depth 3 than with focus off, with few judge calls', async () => {
    const options = { phases: ['colour', 'count'] as const, segmentsPerPhase: 60 };
    const off = await simulateFocus({ ...options, phases: [...options.phases], depth: 0 });
    const depth2 = await simulateFocus({ ...options, phases: [...options.phases], depth: 2 });
    const depth3 = await simulateFocus({ ...options, phases: [...options.phases], depth: 3 });
    assert.ok(mean(depth3.relevantShare) > 1.8 * mean(off.relevantShare), `${mean(depth3.relevantShare)} vs ${mean(off.relevantShare)}`);
    assert.ok(mean(depth3.answered.map(Number)) > mean(off.answered.map(Number)) + 0.3);
    assert.equal(depth3.trainings, 2, 'one vector per task group');
    assert.ok(depth3.rankedByVector > 80);
    assert.ok(depth3.judgeCalls < depth2.judgeCalls / 4, `${depth3.judgeCalls} vs ${depth2.judgeCalls}`);
  });

  describe('with a real store', () => {
    let dir: string;
    let store: SqliteMemoryStore;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'taskmem-focused-'));
      store = new SqliteMemoryStore({ path: join(dir, 'm.sqlite') });
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function setup(depth: number) {
      const random = new Random(3);
      const policy = new SimulatedPolicy({ random: new Random(4), budget: 3, conditioningWeight: 1 });
      const memorizer = new FocusedMemorizer({
        source: policy,
        store,
        judge: new SimulatedJudge(new Random(5), 0),
        embedder: new LexicalEmbedder(),
        candidates: 4,
        maxJudgeCalls: 12,
        now: () => 42n,
        logger: silentLogger,
      });
      const examples = [taskQuestion('colour', random)];
      const focus = { group: 'colour', examples, depth };
      return { random, policy, memorizer, focus };
    }

    it('stores one preference pair per judged segment and the kept memory says which group and depth wrote it', async () => {
      const { random, policy, memorizer, focus } = setup(2);
      for (let i = 0; i < 5; i++) {
        const world = worldSegment(i, random);
        policy.show(world);
        const outcome = await memorizer.memorize(world.segment, { window: [], focus });
        assert.equal(outcome.kind, 'memory');
        if (outcome.kind !== 'memory') return;
        assert.equal(outcome.memory.taskGroup, 'colour');
        assert.equal(outcome.memory.focusDepth, 2);
        assert.ok(outcome.memory.quality.preference !== null);
      }
      const pairs = await store.preferences('colour');
      assert.ok(pairs.length >= 1 && pairs.length <= 5);
      for (const pair of pairs) {
        assert.notEqual(pair.chosen, pair.rejected);
        assert.deepEqual(pair.examples, focus.examples);
        assert.equal(pair.chosenEmbedding?.length, 512);
      }
      assert.equal(await store.focusVector('colour'), null, 'depth 2 does not train');
    });

    it('trains a versioned vector at depth 3 after 10 pairs, ranks without the judge, and can be reset', async () => {
      const { random, policy, memorizer, focus } = setup(3);
      let index = 0;
      while ((await store.focusVector('colour')) === null && index < 60) {
        const world = worldSegment(index++, random);
        policy.show(world);
        await memorizer.memorize(world.segment, { window: [], focus });
      }
      const record = await store.focusVector('colour');
      assert.ok(record, 'a vector was trained');
      assert.equal(record.pairs, 10);
      assert.equal(record.version, 1);
      const judgeCallsBefore = memorizer.stats.judgeCalls;
      const world = worldSegment(index, random);
      policy.show(world);
      const outcome = await memorizer.memorize(world.segment, { window: [], focus });
      assert.equal(outcome.kind === 'memory' && outcome.memory.focusDepth, 3);
      assert.equal(memorizer.stats.judgeCalls, judgeCallsBefore);
      // As `taskmem focus reset` does it: in the store, which the memorizer reads for every segment.
      await store.resetFocusVector('colour');
      assert.equal(await store.focusVector('colour'), null);
      const next = worldSegment(index + 1, random);
      policy.show(next);
      const after = await memorizer.memorize(next.segment, { window: [], focus });
      assert.equal(after.kind === 'memory' && after.memory.focusDepth, 2, 'after a reset the judge decides again');
      assert.ok(memorizer.stats.judgeCalls > judgeCallsBefore);
    });

    it('goes straight to the policy at depth 1', async () => {
      const { random, policy, memorizer, focus } = setup(1);
      const world = worldSegment(0, random);
      policy.show(world);
      const outcome = await memorizer.memorize(world.segment, { window: [], focus });
      assert.equal(outcome.kind === 'memory' && outcome.memory.focusDepth, 1);
      assert.equal(memorizer.stats.judgeCalls, 0);
      assert.equal(policy.requests, 1);
    });
  });
});
