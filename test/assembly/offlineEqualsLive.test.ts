/**
 * One configuration, one way of memorizing: the same recording played to the memory node (in the rclnodejs
 * double, as a robot's drivers would publish it) and given to `taskmem ingest` (a child process, as a user runs
 * it) yields the same memories at every focus depth the node and the command share — 0, 1 and 2 — with the
 * stand-in model server playing the policy and the pairwise judge and the same tasks logged beforehand.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapRecording } from '../../src/bag/McapRecording.js';
import { matchSensorTopics, recordedSensorMessages } from '../../src/bag/RecordingSensors.js';
import { configSchema } from '../../src/config/schema.js';
import type { Memory } from '../../src/memory/Memory.js';
import { SqliteMemoryStore } from '../../src/memory/SqliteMemoryStore.js';
import { writeRecording, type RecordingScript } from '../support/recording.js';
import { readQuoted } from '../support/promptReading.js';
import type { ChatReply, ChatRequest } from '../support/StandInModelServer.js';
import { startHarness } from '../ros/nodeUnderTest.js';
import { withOwnBuffers } from '../../src/ros/RecordingPlayer.js';
import { taskmem, type TaskmemRun } from '../support/taskmemProcess.js';

/** Tasks the robot was given before the recording: three about signs make "signs" the active group. */
const TASKS = ['What did the sign by the door say?', 'Which room number was on the sign?', 'What did the exit sign read?'];
const COLOURS = ['teal', 'crimson', 'amber', 'violet', 'olive', 'navy'];
const OBJECTS = ['backpack', 'umbrella', 'toolbox', 'lamp', 'basket', 'helmet'];
const SIGNS = ['LAB 7', 'DOCK B', 'ROOM 4', 'GATE 3', 'BAY 9', 'HALL C'];

/**
 * The stand-in policy and judge: every reply is a function of the request alone, so the node and the command
 * get the same replies for the same requests whatever the order. The policy writes other facts for each
 * segment (read from the segment's time in the prompt), adds the sign when the prompt names tasks to focus on,
 * and for n candidates writes n variants of which only the second mentions the sign; the judge prefers a
 * description that mentions a sign when the example questions are about signs.
 */
function standIn(request: ChatRequest): ChatReply {
  const system = String(request.messages[0]!.content);
  const user =
    typeof request.messages[1]!.content === 'string' ? request.messages[1]!.content : JSON.stringify(request.messages[1]!.content);
  if (system.startsWith('You judge memories')) {
    const { A: a, B: b } = JSON.parse(readQuoted(request, ['task_questions', 'descriptions']).blocks.get('descriptions')!) as {
      A: string;
      B: string;
    };
    const score = (description: string) => (user.includes('sign') && description.includes('sign') ? 1 : 0);
    const [sa, sb] = [score(a), score(b)];
    return `Comparing both. VERDICT: ${sa > sb ? 'A' : sa < sb ? 'B' : 'TIE'}`;
  }
  const [, hours, minutes, seconds] = /New segment (\d\d):(\d\d):(\d\d)/.exec(user)!;
  const k = Math.floor((Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) / 10) % COLOURS.length;
  const seen = `A ${COLOURS[k]} ${OBJECTS[k]} lies on the ${['desk', 'shelf', 'floor', 'bench', 'cart', 'stool'][k]}`;
  const focused = user.includes('Focus on content');
  const variants = [
    `${seen} while a ${['cyclist', 'porter', 'nurse', 'guard', 'chef', 'pilot'][k]} walks past.`,
    `${seen}; a sign above it reads ${SIGNS[k]}.`,
    `${seen} beside an open ${['window', 'door', 'hatch', 'gate', 'locker', 'drawer'][k]}.`,
  ];
  const reply = (text: string) => `<think>looking</think>{"description": "${text}"}`;
  const n = request.n ?? 1;
  if (n === 1) return reply(focused ? variants[1]! : variants[0]!);
  return Array.from({ length: n }, (_, i) => reply(variants[i % variants.length]!));
}

/** The parameters both runs get, by name; the store is each run's own. */
function parameters(script: RecordingScript, depth: number): [string, string][] {
  return [
    ['robot_id', 'r1'],
    ['camera.topic', script.config.camera.topic],
    ['camera.type', script.config.camera.type],
    ['audio.type', script.config.audio.type],
    ['audio.topic', script.config.audio.topic],
    ['audio.info_topic', script.config.audio.info_topic],
    ['pose.topic', script.config.pose.topic],
    ['pose.type', script.config.pose.type],
    ['memorizer.retries', '0'],
    ['memorizer.fallback', 'false'],
    // Large enough that the node never has to drop a segment while the policy answers.
    ['memorizer.queue_size', '100'],
    ['focus.depth', String(depth)],
    ['focus.candidates', '3'],
    ['focus.adapters', 'signs=policy-signs'],
  ];
}

async function logTasks(path: string): Promise<void> {
  const store = new SqliteMemoryStore({ path });
  try {
    for (const [i, text] of TASKS.entries())
      await store.logTask({ id: `r1/task/${i}`, robotId: 'r1', stamp: BigInt(i + 1) * 1_000_000_000n, text, group: 'signs', kind: 'ask' });
  } finally {
    await store.close();
  }
}

async function storedIn(path: string): Promise<{ memories: Memory[]; pairs: string[] }> {
  const store = new SqliteMemoryStore({ path });
  try {
    const memories = (await store.recall({ robotId: 'r1', limit: 100 })).memories
      .map((s) => s.memory)
      .sort((a, b) => (a.start < b.start ? -1 : 1));
    const pairs = (await store.preferences()).map((p) => `${p.segmentId}: ${p.chosen} > ${p.rejected}`).sort();
    return { memories, pairs };
  } finally {
    await store.close();
  }
}

/** What must be equal: everything a memory says, but the wall-clock time it was written at. */
function written(m: Memory) {
  return [m.id, m.segmentIndex, m.start, m.end, m.text, m.source, m.taskGroup, m.focusDepth, m.model, m.quality, m.pose];
}

/** `taskmem ingest` in a child process. */
function ingest(args: string[]): Promise<TaskmemRun> {
  return taskmem(['ingest', ...args]);
}

describe('offline and live memorize the same way (one assembly)', function () {
  this.timeout(180_000);
  let dir: string;
  let script: RecordingScript;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-offline-live-'));
    script = await writeRecording({ path: join(dir, 'run.mcap'), durationS: 30, fps: 2, camera: 'compressed' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const depth of [0, 1, 2]) {
    it(`gives the same memories through the node and through taskmem ingest at focus depth ${depth}`, async () => {
      const params = parameters(script, depth);
      const h = await startHarness({
        argv: params.flatMap(([name, value]) => ['-p', `${name}:=${name === 'focus.adapters' ? `[${value}]` : value}`]),
        shutdownGraceMs: 60_000,
        seed: logTasks,
      });
      try {
        h.server.onChat = standIn;

        // The node: the recording's messages published on its topics in recording order, as drivers would.
        const recording = await McapRecording.open(script.path);
        try {
          const config = configSchema.parse({ robot_id: 'r1', ...script.config });
          const topics = matchSensorTopics(recording, config);
          const publishers = new Map(
            topics.map((t) => [
              t.kind,
              h.tester.createPublisher(t.rosType as 'sensor_msgs/msg/Image', t.recordedTopic, { qos: 'qos_profile_sensor_data' }),
            ]),
          );
          for await (const message of recordedSensorMessages(recording, topics)) {
            // Each array in a buffer of its own, as `taskmem play` sends them: rclnodejs 2.2.0 would send a view into
            // the recording's chunk as the wrong bytes.
            publishers.get(message.kind)!.publish(withOwnBuffers(message.message) as never);
            // Let the executor deliver each message before the next, as messages spaced in time would be.
            await new Promise((resolve) => setImmediate(resolve));
          }
        } finally {
          await recording.close();
        }
        // Shutdown closes the open segment and memorizes everything queued (the grace is long).
        await h.node.shutdown();
        const nodeRequests = h.server.chatRequests().map((r) => JSON.stringify(r.messages));
        const live = await storedIn(h.dbPath);

        // The command: the same recording, the same parameters, a store with the same tasks.
        const offlineStore = join(dir, `ingest-${depth}.sqlite`);
        await logTasks(offlineStore);
        const run = await ingest([
          script.path,
          '--store.path',
          offlineStore,
          '--memorizer.url',
          h.server.url,
          ...params.flatMap(([name, value]) => [`--${name}`, value]),
        ]);
        assert.equal(run.code, 0, run.stderr);
        const offline = await storedIn(offlineStore);
        const ingestRequests = h.server
          .chatRequests()
          .slice(nodeRequests.length)
          .map((r) => JSON.stringify(r.messages));

        assert.equal(live.memories.length, 3, 'one memory per 10 s of the 30 s recording');
        assert.deepEqual(offline.memories.map(written), live.memories.map(written));
        assert.deepEqual(ingestRequests.sort(), [...nodeRequests].sort(), 'the same requests reached the policy and the judge');
        assert.deepEqual(offline.pairs, live.pairs, 'the same preference pairs were kept');

        // And focus did act as the depth says, so that the equality above is not that of unfocused memories.
        const m = live.memories;
        if (depth === 0) {
          assert.ok(m.every((x) => x.taskGroup === null && x.focusDepth === 0 && x.model === 'taskmem-policy' && !x.text.includes('sign')));
        } else {
          assert.ok(m.every((x) => x.taskGroup === 'signs' && x.focusDepth === depth && x.model === 'policy-signs'));
          assert.ok(
            m.every((x) => x.text.includes('a sign above it reads')),
            m.map((x) => x.text).join('\n'),
          );
        }
        if (depth === 2) assert.equal(live.pairs.length, 3, 'depth 2 keeps a preference pair per segment');
        else assert.equal(live.pairs.length, 0);
      } finally {
        await h.stop();
      }
    });
  }
});
