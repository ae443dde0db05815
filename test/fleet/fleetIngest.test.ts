import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { StandInModelServer } from '../support/StandInModelServer.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { writeRecording, type RecordingScript } from '../support/recording.js';
import { storedIds, taskmem, type TaskmemRun } from '../support/taskmemProcess.js';

const ROBOTS = 8;
/** Three 10 s segments per recording. */
const SEGMENTS = 3;
/** Robots killed with SIGKILL once they have stored a memory. */
const KILLED = new Set([1, 6]);

describe('a fleet of 8 robots ingesting into one PostgreSQL', function () {
  // Eight node processes on two cores: about a minute on an idle machine, several under load.
  this.timeout(400_000);
  let dir: string;
  let postgres: TestPostgres;
  let model: StandInModelServer;
  const recordings: RecordingScript[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-fleet-'));
    postgres = await startPostgres();
    // Two recordings: robots 0-3 ingest the first, 4-7 the second, so four robots share each recording.
    for (const name of ['a', 'b'])
      recordings.push(await writeRecording({ path: join(dir, `${name}.mcap`), durationS: 30, fps: 1, width: 320 }));
    model = await new StandInModelServer().start();
    let n = 0;
    model.onChat = async (request) => {
      await sleep(300);
      n++;
      // Each robot's first memory mentions the toolbox; later ones would repeat it (and fail the quality gate).
      const seen = JSON.stringify(request.messages).includes('red toolbox')
        ? `a sign with ${n * 7} letters and ${n + 2} chairs by a window`
        : `a red toolbox stands under a sign with ${n * 7} letters`;
      return `<think>seen</think>{"description": "Scene ${n}: ${seen}."}`;
    };
  });
  after(async () => {
    await model?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ingest = (robot: number, stopWhen?: (stdout: string) => boolean) => {
    const script = recordings[robot < ROBOTS / 2 ? 0 : 1]!;
    return taskmem(
      [
        'ingest',
        script.path,
        ...['--robot_id', `robot-${robot}`, '--store.backend', 'postgres', '--store.url', postgres.url],
        ...['--memorizer.url', model.url, '--memorizer.retries', '0', '--memorizer.fallback', 'false'],
        ...['--camera.topic', script.config.camera.topic, '--audio.topic', script.config.audio.topic],
        ...['--audio.info_topic', script.config.audio.info_topic, '--pose.topic', script.config.pose.topic],
      ],
      stopWhen ? { stopWhen } : {},
    );
  };

  it('stores every memory exactly once through two kill -9s and a server restart, losing nothing committed', async () => {
    const started = Date.now();
    let storedSoFar = 0;
    const outputs = new Map<number, string>();
    const restart: { done?: Promise<void> } = {};
    let restartedAt = 0;
    let storedAtRestart = 0;
    const first = await Promise.all(
      Array.from({ length: ROBOTS }, (_, robot) =>
        ingest(robot, (stdout) => {
          outputs.set(robot, stdout);
          storedSoFar = [...outputs.values()].reduce((sum, out) => sum + storedIds(out).length, 0);
          // Once the fleet has stored a fifth of its memories, the server restarts under the writers.
          if (!restart.done && storedSoFar >= (ROBOTS * SEGMENTS) / 4) {
            storedAtRestart = storedSoFar;
            restartedAt = Date.now();
            restart.done = postgres.restart!();
          }
          return KILLED.has(robot) && storedIds(stdout).length >= 1;
        }),
      ),
    );
    assert.ok(restart.done, 'the server was restarted while the robots ran');
    await restart.done;
    for (const robot of KILLED) assert.equal(first[robot]!.signal, 'SIGKILL', `robot-${robot} was killed mid-run: ${first[robot]!.stderr}`);

    const reported = (runs: TaskmemRun[]) => runs.flatMap((run) => storedIds(run.stdout));
    const firstIds = reported(first);
    const committed = await memoryIds();
    for (const id of firstIds) assert.ok(committed.has(id), `${id} was reported stored and survived kill -9 and the restart`);

    // Every robot that did not finish (killed, or a segment lost to the restart) runs the same command again.
    const unfinished = first.flatMap((run, robot) => (run.code === 0 ? [] : [robot]));
    assert.ok(unfinished.length >= KILLED.size);
    const reruns = await Promise.all(unfinished.map((robot) => ingest(robot)));
    for (const [i, run] of reruns.entries()) assert.equal(run.code, 0, `robot-${unfinished[i]} resumed: ${run.stderr}`);
    for (const id of reported(reruns)) assert.ok(!firstIds.includes(id), `${id} was memorized once, not again on resume`);

    const rows = await query<{ id: string; robot_id: string; start_ns: string }>('SELECT id, robot_id, start_ns FROM memories');
    assert.equal(rows.length, ROBOTS * SEGMENTS, 'every segment of every robot');
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no id twice');
    assert.equal(new Set(rows.map((r) => `${r.robot_id} ${r.start_ns}`)).size, rows.length, 'no segment of a robot stored twice');
    for (let robot = 0; robot < ROBOTS; robot++) {
      assert.equal(rows.filter((r) => r.robot_id === `robot-${robot}`).length, SEGMENTS, `robot-${robot} has all its memories`);
    }
    const failed = await query<{ n: string }>('SELECT count(*) AS n FROM failures');
    assert.equal(Number(failed[0]!.n), 0, 'the segments lost to the restart were retried and their failures cleared');
    console.log(
      `      fleet: ${ROBOTS} robots, ${rows.length} memories in ${((Date.now() - started) / 1000).toFixed(1)} s; server restarted ` +
        `${((restartedAt - started) / 1000).toFixed(1)} s in, after ${storedAtRestart} stored; robots killed: ${[...KILLED].join(', ')}; ` +
        `first runs' exits ${first.map((r) => r.code ?? r.signal).join(' ')}; ${firstIds.length} stored before the reruns, ` +
        `${reported(reruns).length} by ${reruns.length} reruns; 0 lost, 0 duplicated`,
    );
  });

  it('answers "has any robot seen the red toolbox today?" from the whole fleet with --robot any, naming each memory\'s robot', async () => {
    const asked = (recordings[0]!.end + 60_000_000_000n).toString();
    const ask = (...extra: string[]) =>
      taskmem([
        'ask',
        'has any robot seen the red toolbox today?',
        ...['--json', '--at', asked, '--store.backend', 'postgres', '--store.url', postgres.url, '--robot_id', 'robot-0'],
        ...['--answerer.max_evidence', '40'],
        ...extra,
      ]);
    const [fleet, own] = await Promise.all([ask('--robot', 'any'), ask()]);
    assert.equal(fleet.code, 0, fleet.stderr);
    assert.equal(own.code, 0, own.stderr);
    const evidence = (run: TaskmemRun) => (JSON.parse(run.stdout) as { evidence: { memoryId: string; robotId: string }[] }).evidence;
    const robots = new Set(evidence(fleet).map((e) => e.robotId));
    assert.ok(robots.size >= 4, `memories of many robots answer: ${[...robots].join(', ')}`);
    for (const e of evidence(fleet)) assert.equal(e.memoryId.split('/')[0], e.robotId, 'each evidence names the robot that wrote it');
    assert.deepEqual([...new Set(evidence(own).map((e) => e.robotId))], ['robot-0'], 'without --robot: this robot only');
  });

  async function query<Row>(sql: string): Promise<Row[]> {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  async function memoryIds(): Promise<Set<string>> {
    return new Set((await query<{ id: string }>('SELECT id FROM memories')).map((r) => r.id));
  }
});
