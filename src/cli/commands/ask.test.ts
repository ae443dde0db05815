import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StandInModelServer } from '../../../test/support/StandInModelServer.js';
import { MEMORIES_CLOSE, MEMORIES_OPEN } from '../../answer/AnswerPrompt.js';
import { memoryId, type Memory } from '../../memory/Memory.js';
import { SqliteMemoryStore } from '../../memory/SqliteMemoryStore.js';
import { ask } from './ask.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

/** The command in this process, its output collected. */
async function taskmem(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await ask(args.slice(1), { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The installed command line, as a user runs it. */
function spawnTaskmem(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { env: { ...process.env, TASKMEM_API_KEY: '' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
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
    const { code, stdout } = await taskmem(['ask', 'where', 'are', 'the', 'keys', '--store.path', path, '--at', '2026-11-21 12:00']);
    assert.equal(code, 0);
    assert.match(stdout, /No model answered; the memories that match best:/);
    assert.match(stdout, /Alex puts the keys on the sofa\./);
    assert.match(stdout, /note: no answering model configured: the answer is the ranked evidence/);
  });

  it('explains bad arguments and a missing store', async () => {
    const missing = await taskmem(['ask', 'where?', '--store.path', join(dir, 'none.sqlite')]);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no memory store at .*none\.sqlite/);
    const postgres = await taskmem(['ask', 'where?', '--store.backend', 'postgres']);
    assert.equal(postgres.code, 4);
    assert.match(postgres.stderr, /cannot open the store: .*store\.url is empty/);
    const near = await taskmem(['ask', 'where?', '--store.path', path, '--near', '1,2']);
    assert.equal(near.code, 2);
    assert.match(near.stderr, /--near takes x,y,radius in metres, got "1,2"/);
    const since = await taskmem(['ask', 'where?', '--store.path', path, '--since', 'when pigs fly']);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /time "when pigs fly" is not understood/);
  });
});
