import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as rcl from 'rclnodejs';
import { memoryAt } from '../../test/ros/nodeUnderTest.js';
import { Assembly } from '../assembly/Assembly.js';
import { configSchema } from '../config/schema.js';
import type { Logger } from '../log.js';
import { executeAskGoal, type AskAction } from './AskGoal.js';
import type { GoalHandle } from './Rclnodejs.js';

/** What a goal handle was told, for assertions: feedback and the final state. */
interface GoalRecord {
  feedback: { stage: string; memories_considered: number }[];
  state: 'executing' | 'succeeded' | 'aborted' | 'canceled';
}

/**
 * A goal handle as rclnodejs gives an execute callback: the request, the goal id, the cancel flag, feedback and
 * the three ways to end. The action server around it is ROS's; here only the handle is needed.
 */
function goalHandle(
  request: Partial<rcl.taskmem.action.Ask_Goal>,
  options: { cancelRequested?: boolean } = {},
): { handle: GoalHandle<AskAction>; record: GoalRecord } {
  const record: GoalRecord = { feedback: [], state: 'executing' };
  const zero = { sec: 0, nanosec: 0 };
  const handle = {
    request: { question: '', choices: [], since: zero, until: zero, task_group: '', robot: '', ...request },
    goalId: { uuid: Uint8Array.from({ length: 16 }, (_, i) => i) },
    get isActive() {
      return record.state === 'executing';
    },
    isCancelRequested: options.cancelRequested ?? false,
    publishFeedback: (feedback: { stage: string; memories_considered: number }) => void record.feedback.push(feedback),
    succeed: () => void (record.state = 'succeeded'),
    abort: () => void (record.state = 'aborted'),
    canceled: () => void (record.state = 'canceled'),
  };
  return { handle: handle, record };
}

describe('executeAskGoal (an Ask goal, without ROS)', () => {
  let dir: string;
  let assembly: Assembly;
  const errors: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => errors.push(m), error: (m) => errors.push(m) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-ask-goal-'));
    assembly = await Assembly.open(configSchema.parse({ robot_id: 'robot', store: { path: join(dir, 'memory.sqlite') } }), {
      logger,
      env: {},
    });
    await assembly.store.put({ ...memoryAt('robot', 0, 100, 'The red keys lie on the kitchen table.'), taskGroup: 'household' });
    errors.length = 0;
  });
  afterEach(async () => {
    await assembly.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function execute(handle: GoalHandle<AskAction>) {
    const answers: rcl.taskmem.msg.Answer[] = [];
    const result = await executeAskGoal(handle, {
      focus: await assembly.taskFocus(),
      answerer: assembly.answerer(),
      store: assembly.store,
      logger,
      robotId: 'robot',
      askedAt: 200n * 1_000_000_000n,
      onAnswer: (message) => answers.push(message),
    });
    return { result, answers };
  }

  it('logs the question as a task of its group, answers with feedback, records and publishes the answer', async () => {
    const { handle, record } = goalHandle({ question: 'where are the keys?', task_group: 'household' });
    const { result, answers } = await execute(handle);
    assert.equal(record.state, 'succeeded');
    assert.equal(record.feedback[0]?.stage, 'retrieving');
    assert.equal(result.answer.question_id, '00010203-0405-0607-0809-0a0b0c0d0e0f', 'the answer carries the goal id');
    assert.match(result.answer.evidence[0]!.text, /red keys/);
    assert.deepEqual(answers, [result.answer]);
    const [task] = await assembly.store.answeredTasks({ robotId: 'robot' });
    assert.deepEqual(
      [task?.text, task?.group, task?.kind, task?.stamp],
      ['where are the keys?', 'household', 'ask', 200n * 1_000_000_000n],
    );
    assert.equal(task?.answer?.evidence[0], 'robot/0/100000000000');
  });

  it('aborts with an empty answer when the question cannot be answered, and says why', async () => {
    const { handle, record } = goalHandle({ question: 'which one?', choices: Array.from({ length: 26 }, (_, i) => `option ${i}`) });
    const { result, answers } = await execute(handle);
    assert.equal(record.state, 'aborted');
    assert.deepEqual([result.answer.answer, result.answer.abstained, result.answer.evidence], ['', true, []]);
    assert.deepEqual(answers, [], 'nothing is published for a failed goal');
    assert.match(errors.join('\n'), /question "which one\?" failed: a multiple-choice question takes at most 25 options/);
  });

  it("answers from this robot's memories by default, another robot's when named, and the whole fleet's for *, each evidence naming its robot", async () => {
    await assembly.store.put(memoryAt('scout', 0, 110, 'The red toolbox stands by the loading dock.'));
    await assembly.store.put(memoryAt('robot', 0, 120, 'A red toolbox sits under the workbench.'));
    const evidence = async (robot?: string) => {
      const request = { question: 'has any robot seen the red toolbox?', ...(robot === undefined ? {} : { robot }) };
      const { result } = await execute(goalHandle(request).handle);
      return result.answer.evidence;
    };
    const own = await evidence();
    assert.ok(own.some((e) => e.memory_id === 'robot/0/120000000000'));
    assert.deepEqual([...new Set(own.map((e) => e.robot_id))], ['robot'], 'empty: this robot only');
    assert.deepEqual(
      (await evidence('scout')).map((e) => [e.robot_id, e.memory_id]),
      [['scout', 'scout/0/110000000000']],
    );
    const fleet = await evidence('*');
    for (const id of ['robot/0/120000000000', 'scout/0/110000000000'])
      assert.ok(
        fleet.some((e) => e.memory_id === id),
        id,
      );
    for (const e of fleet) assert.equal(e.robot_id, e.memory_id.split('/')[0], 'each evidence names the robot that wrote it');
  });

  it('ends canceled when the client asked to cancel', async () => {
    const { handle, record } = goalHandle({ question: 'where are the keys?' }, { cancelRequested: true });
    const { answers } = await execute(handle);
    assert.equal(record.state, 'canceled');
    assert.deepEqual(answers, []);
  });
});
