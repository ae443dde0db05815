import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadQuestions, readQueryTime } from './datasets.js';

describe('bench question files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-datasets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, json: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(json));
    return path;
  };

  const mme = (videoID: string, question: string) => ({
    videoID,
    question,
    options: ['A. red', 'B. blue', 'C. green', 'D. white'],
    answer: 'A',
  });

  it('reads a Video-MME file whose "all" key repeats the per-type questions once, numbering each type in file order', async () => {
    const counting = [mme('v1', 'How many cups?'), mme('v2', 'How many chairs?')];
    const recognition = [mme('v1', 'What is on the table?')];
    const questions = await loadQuestions(
      file('videomme.json', { all: [...counting, ...recognition], Counting: counting, 'Object Recognition': recognition }),
      'videomme',
    );
    assert.equal(questions.length, 3, 'no question twice');
    assert.deepEqual(
      questions.map((q) => [q.type, q.order, q.question]),
      [
        ['Counting', 0, 'How many cups?'],
        ['Counting', 1, 'How many chairs?'],
        ['Object Recognition', 0, 'What is on the table?'],
      ],
    );
    assert.deepEqual(questions[0]!.options, ['red', 'blue', 'green', 'white']);
    // A file with nothing but "all" is read from it.
    assert.equal((await loadQuestions(file('only-all.json', { all: counting }), 'videomme')).length, 2);
  });

  it('reads an EgoTempo file with an "all" key the same way', async () => {
    const items = [{ videoID: 'e1', question: 'What did I pick up?', answer: 'a knife' }];
    const questions = await loadQuestions(file('egotempo.json', { all: items, 'action sequence': items }), 'egotempo');
    assert.deepEqual(
      questions.map((q) => [q.type, q.options, q.answer]),
      [['action sequence', [], 'a knife']],
    );
  });

  it("reads the reference's EgoLife results file: the question, its answer, its current and target clips", async () => {
    const questions = await loadQuestions(
      file('egolife_qa.json', {
        results: [
          {
            ID: 123,
            qa_raw: {
              question: 'Who used the screwdriver first?',
              choice_a: 'Tasha',
              choice_b: 'Alice',
              choice_c: 'Shure',
              choice_d: 'Lucia',
              type: 'EntityLog',
            },
            qa: { query_time: { date: 'DAY2', time: '16195950' }, target_time: { date: 'DAY1', time: '11152408' }, answer: 'B' },
            current_groups: [{ output: '/data/clips/current_123_DAY2_A1_JAKE_16190000__DAY2_A1_JAKE_16200000.mp4' }],
            target_groups: [
              { output: '/data/clips/target_123_DAY1_A1_JAKE_11150000__DAY1_A1_JAKE_11160000.mp4' },
              { output: 'target_123b_DAY1_A1_JAKE_11300050__DAY1_A1_JAKE_11310000' },
            ],
          },
        ],
      }),
      'egolife',
    );
    assert.equal(questions.length, 1);
    const [q] = questions;
    assert.deepEqual(
      [q!.id, q!.type, q!.answer, q!.options, q!.videoId],
      ['123', 'EntityLog', 'B', ['Tasha', 'Alice', 'Shure', 'Lucia'], 'current_123_DAY2_A1_JAKE_16190000__DAY2_A1_JAKE_16200000'],
    );
    assert.deepEqual(q!.clips, {
      current: { id: 'current_123_DAY2_A1_JAKE_16190000__DAY2_A1_JAKE_16200000', label: 'DAY2: from 16:19:00:000 to 16:20:00:000' },
      targets: [
        { id: 'target_123_DAY1_A1_JAKE_11150000__DAY1_A1_JAKE_11160000', label: 'DAY1: from 11:15:00:000 to 11:16:00:000' },
        { id: 'target_123b_DAY1_A1_JAKE_11300050__DAY1_A1_JAKE_11310000', label: 'DAY1: from 11:30:00:500 to 11:31:00:000' },
      ],
    });
    assert.deepEqual(q!.askedOn, { day: 2, seconds: 16 * 3600 + 19 * 60 + 59.5 });
  });

  it('reads EgoLifeQA items with their real date and time, and says when a time has no date and no video', async () => {
    const item = { ID: '7', question: 'q', choice_a: 'a', choice_b: 'b', choice_c: 'c', choice_d: 'd', answer: 'C', type: 'TaskMaster' };
    const [q] = await loadQuestions(file('egolifeqa.json', [{ ...item, query_time: { date: 'DAY3', time: '09053012' } }]), 'egolife');
    assert.deepEqual([q!.askedOn, q!.arrivesAt, q!.clips, q!.videoId], [{ day: 3, seconds: 9 * 3600 + 5 * 60 + 30.12 }, null, null, '']);
    await assert.rejects(
      loadQuestions(file('nodate.json', [{ ...item, query_time: '11:21:02' }]), 'egolife'),
      /item 0 gives its query_time without a date and has no videoID/,
    );
    await assert.rejects(
      loadQuestions(file('bad.json', [{ ...item, query_time: { date: 'DAY1', time: '11600200' } }]), 'egolife'),
      /item 0 has an unreadable query_time/,
    );
  });

  it('reads query times as seconds into the video, or as a time of day', () => {
    assert.equal(readQueryTime(42.5), 42.5);
    assert.equal(readQueryTime('42.5'), 42.5);
    assert.deepEqual(readQueryTime('11:21:02'), { day: null, seconds: 40862 });
    assert.deepEqual(readQueryTime({ date: 'DAY1', time: '11210217' }), { day: 1, seconds: 40862.17 });
    assert.equal(readQueryTime({ date: 'Monday', time: '11210217' }), null);
    assert.equal(readQueryTime('25:00:00'), null);
  });
});
