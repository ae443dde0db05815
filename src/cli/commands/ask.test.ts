import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandInModelServer } from '../../../test/support/StandInModelServer.js';
import { taskmem as taskmemProcess } from '../../../test/support/taskmemProcess.js';
import { MEMORIES_CLOSE, MEMORIES_OPEN } from '../../answer/AnswerPrompt.js';
import { memoryId, type Memory } from '../../memory/Memory.js';
import type { AnsweredTask } from '../../memory/MemoryStore.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { ask } from './ask.js';

const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

/** The command in this process, its output collected. */
async function taskmem(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await ask(args.slice(1), { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The installed command line, as a user runs it. */
function spawnTaskmem(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return taskmemProcess(args);
}

/** The tasks logged in the store at `path`, oldest first, with their recorded answers. */
async function tasksIn(path: string): Promise<AnsweredTask[]> {
  const store = new SqliteMemoryStore({ path });
  try {
    return (await store.answeredTasks({})).sort((a, b) => (a.stamp < b.stamp ? -1 : 1));
  } finally {
    await store.close();
  }
}

function memory(at: string, text: string, extra: Partial<Memory> = {}): Memory {
  const start = ns(at);
  return {
    id: memoryId('r1', 0, start),
    robotId: 'r1',
    episode: 0,
    segmentIndex: 0,
    start,
    end: start + 10_000_000_000n,
    createdAt: start + 12_000_000_000n,
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: 10 },
    pose: null,
    model: 'policy',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [],
    ...extra,
  };
}

describe('taskmem ask', function () {
  this.timeout(60_000);
  let dir: string;
  let path: string;
  let server: StandInModelServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-ask-'));
    path = join(dir, 'memory.sqlite');
    const store = new SqliteMemoryStore({ path });
    await store.put(memory('2026-11-21T08:00:00Z', 'Alex drops the keys by the door.'));
    await store.put(
      memory('2026-11-21T09:00:00Z', 'Alex puts the keys on the sofa.', {
        pose: { stamp: ns('2026-11-21T09:00:05Z'), frameId: 'map', x: 3.5, y: -1.25, z: 0, yaw: 0 },
      }),
    );
    await store.put(memory('2026-11-20T09:00:00Z', 'Yesterday the keys were in the car.'));
    await store.close();
    server = await new StandInModelServer().start();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the answer with its evidence: time, place and memory text', async () => {
    server.onChat = (r) => {
      const user = String(r.messages[1]!.content);
      const block = user.slice(user.indexOf(MEMORIES_OPEN) + MEMORIES_OPEN.length, user.indexOf(MEMORIES_CLOSE));
      const sofa = (JSON.parse(block) as { id: string; text: string }[]).find((m) => m.text.includes('sofa'))!.id;
      return JSON.stringify({ answer: 'B', abstained: false, confidence: 0.85, evidence: [sofa] });
    };
    const model = [
      '--robot_id',
      'r1',
      '--store.path',
      path,
      '--answerer.url',
      server.url,
      '--answerer.model',
      'qa-model',
      '--at',
      '2026-11-21 12:00',
      '--since',
      'today',
    ];
    const text = await taskmem(['ask', 'Where are the keys?', '--choices', 'by the door,on the sofa', ...model]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Answer: B\. on the sofa {2}\(confidence 0\.85, qa-model\)/);
    assert.match(
      text.stdout,
      /1\. 2026-11-21 09:00:00 \+00:00 – 09:00:10 \+00:00 {2}at \(3\.50, -1\.25\) in map {2}\[r1\/0\/\d+\]\n {5}Alex puts the keys on the sofa\./,
    );
    assert.match(text.stdout, /note: no embedding source configured: retrieval is full-text plus time/);
    const user = String(server.chatRequests().at(-1)!.messages[1]!.content);
    assert.doesNotMatch(user, /in the car/, '--since today kept yesterday out');

    const json = await spawnTaskmem(['ask', 'Where are the keys?', '--choices', 'by the door,on the sofa', '--json', ...model]);
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as {
      choice: string;
      chosenIndex: number;
      askedAt: string;
      evidence: { pose: { x: number }; start: string }[];
    };
    assert.equal(answer.choice, 'B');
    assert.equal(answer.chosenIndex, 1);
    assert.equal(answer.askedAt, String(ns('2026-11-21T12:00:00Z')));
    assert.equal(answer.evidence[0]!.start, String(ns('2026-11-21T09:00:00Z')));
    assert.equal(answer.evidence[0]!.pose.x, 3.5);
  });

  it('without a model, shows the ranked memories and says no model answered', async () => {
    const { code, stdout } = await taskmem([
      'ask',
      'where',
      'are',
      'the',
      'keys',
      '--robot_id',
      'r1',
      '--store.path',
      path,
      '--at',
      '2026-11-21 12:00',
    ]);
    assert.equal(code, 0);
    assert.match(stdout, /No model answered; the memories that match best:/);
    assert.match(stdout, /Alex puts the keys on the sofa\./);
    assert.match(stdout, /note: no answering model configured: the answer is the ranked evidence/);
  });

  it("says which flag finds the memories when the store holds none of the robot asked about, only other robots'", async () => {
    const asked = await taskmem(['ask', 'where are the keys?', '--store.path', path, '--at', '2026-11-21 12:00']);
    assert.equal(asked.code, 0, asked.stderr);
    assert.match(asked.stdout, /no memory matches the question: abstained/);
    assert.match(
      asked.stderr,
      /^taskmem ask: the store holds no memory of robot robot \(robot_id\), but \d+ of other robots, e\.g\. r1: ask with --robot_id <id> or --robot any$/,
    );
    const found = await taskmem(['ask', 'where are the keys?', '--robot', 'any', '--store.path', path, '--at', '2026-11-21 12:00']);
    assert.match(found.stdout, /Alex puts the keys on the sofa\./);
    assert.equal(found.stderr, '', 'every robot asked: nothing to hint');
  });

  it('prints memory text and answers holding terminal escape codes as visible escapes, in the terminal and in --json', async () => {
    const hostilePath = join(dir, 'hostile.sqlite');
    const store = new SqliteMemoryStore({ path: hostilePath });
    // A sign the camera read, or words someone said: a window-title escape, a screen clear, a C1 CSI and a line forgery.
    const text = 'The sign reads \u001b]0;owned\u0007\u001b[2J KEYS \u009b31m\nstored r1/0/0 forged';
    await store.put(memory('2026-11-21T09:00:00Z', text));
    await store.close();
    server.onChat = () => JSON.stringify({ answer: 'Under the \u001b[5msign\u001b[0m', abstained: false, confidence: 0.9, evidence: [] });
    const flags = ['--robot_id', 'r1', '--store.path', hostilePath, '--at', '2026-11-21 12:00'];
    /** Nothing a terminal would act on is left in the output. */
    const printable = (out: string) => assert.equal(terminalSafe(out), out);

    const evidence = await spawnTaskmem(['ask', 'What does the sign say?', ...flags]);
    assert.equal(evidence.code, 0, evidence.stderr);
    printable(evidence.stdout);
    assert.match(evidence.stdout, /The sign reads \\u001b\]0;owned\\u0007\\u001b\[2J KEYS \\u009b31m\\u000astored r1\/0\/0 forged/);
    assert.doesNotMatch(evidence.stdout, /^stored/m, 'no forged line');

    const answered = await spawnTaskmem([
      'ask',
      'What does the sign say?',
      ...flags,
      '--answerer.url',
      server.url,
      '--answerer.model',
      'qa',
    ]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /Answer: Under the \\u001b\[5msign\\u001b\[0m/);
    printable(answered.stdout);

    const json = await spawnTaskmem(['ask', 'What does the sign say?', ...flags, '--json']);
    printable(json.stdout);
    const parsed = JSON.parse(json.stdout) as { evidence: { text: string }[] };
    assert.equal(parsed.evidence[0]!.text, text, '--json reads back the exact stored text');
  });

  it('explains bad arguments and a missing store', async () => {
    const missing = await taskmem(['ask', 'where?', '--store.path', join(dir, 'none.sqlite')]);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no memory store at .*none\.sqlite/);
    const postgres = await taskmem(['ask', 'where?', '--store.backend', 'postgres']);
    assert.equal(postgres.code, 4);
    assert.match(postgres.stderr, /^taskmem ask: cannot open the store \(postgres\): .*store\.url is empty/);
    const near = await taskmem(['ask', 'where?', '--store.path', path, '--near', '1,2']);
    assert.equal(near.code, 2);
    assert.match(near.stderr, /--near takes x,y,radius in metres, got "1,2"/);
    const since = await taskmem(['ask', 'where?', '--store.path', path, '--since', 'when pigs fly']);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /^taskmem ask: time "when pigs fly" is not understood/);
    const zone = await taskmem(['ask', 'where?', '--store.path', path, '--answerer.time_zone', 'Mars/Olympus']);
    assert.equal(zone.code, 2);
    assert.match(zone.stderr, /parameter answerer\.time_zone = "Mars\/Olympus" \(from command line\) is invalid/);
    const tasks = await tasksIn(path);
    assert.ok(!tasks.some((t) => t.text === 'where?'), 'a question refused for its arguments is not logged as a task');
  });

  it('logs the question as a task of the robot and records its answer, as the node does for an Ask goal', async () => {
    const store = join(dir, 'tasks.sqlite');
    const seed = new SqliteMemoryStore({ path: store });
    // Written under the group the question is asked in, which --group limits the search to.
    await seed.put(memory('2026-11-21T09:00:00Z', 'Alex puts the keys on the sofa.', { taskGroup: 'household' }));
    await seed.close();
    server.onChat = (r) => {
      const user = String(r.messages[1]!.content);
      const block = user.slice(user.indexOf(MEMORIES_OPEN) + MEMORIES_OPEN.length, user.indexOf(MEMORIES_CLOSE));
      const sofa = (JSON.parse(block) as { id: string }[])[0]!.id;
      return JSON.stringify({ answer: 'on the sofa', abstained: false, confidence: 0.8, evidence: [sofa] });
    };
    const answered = await spawnTaskmem([
      'ask',
      'Where are the keys?',
      '--store.path',
      store,
      '--robot_id',
      'r1',
      '--group',
      'household',
      '--at',
      '2026-11-21 12:00',
      '--answerer.url',
      server.url,
      '--answerer.model',
      'qa-model',
    ]);
    assert.equal(answered.code, 0, answered.stderr);
    const withoutGroup = await spawnTaskmem(['ask', 'Who rang?', '--store.path', store, '--robot_id', 'r1', '--at', '2026-11-21 12:05']);
    assert.equal(withoutGroup.code, 0, withoutGroup.stderr);

    const tasks = await tasksIn(store);
    assert.deepEqual(
      tasks.map((t) => [t.robotId, t.text, t.group, t.kind, t.stamp]),
      [
        ['r1', 'Where are the keys?', 'household', 'ask', ns('2026-11-21T12:00:00Z')],
        ['r1', 'Who rang?', 'general', 'ask', ns('2026-11-21T12:05:00Z')],
      ],
    );
    assert.deepEqual(
      [tasks[0]!.answer?.text, tasks[0]!.answer?.answeredBy, tasks[0]!.answer?.evidence],
      ['on the sofa', 'qa-model', [memoryId('r1', 0, ns('2026-11-21T09:00:00Z'))]],
    );
    assert.equal(tasks[1]!.answer?.answeredBy, '', 'without a model the answer is the evidence, and it is recorded too');

    // `taskmem report` shows the questions with their answers.
    const page = join(dir, 'tasks.html');
    const report = await spawnTaskmem(['report', '--store.path', store, '--out', page]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /\(1 memories, 2 questions\)/);
    const html = readFileSync(page, 'utf8');
    assert.ok(html.includes('Where are the keys?') && html.includes('on the sofa'), 'the report shows the question and its answer');
  });
});
