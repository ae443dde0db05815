import { strict as assert } from 'node:assert';
import OpenAI from 'openai';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import type { Answer } from '../answer/Answer.js';
import type { BenchQuestion } from './datasets.js';
import { FreeFormJudge, gradeAnswer } from './scoring.js';

const question = (options: string[], answer: string): BenchQuestion => ({
  id: 'q',
  videoId: 'v',
  type: 't',
  question: 'Which colour?',
  options,
  answer,
  arrivesAt: null,
});
const answer = (fields: Partial<Answer>): Answer => ({
  questionId: 'q',
  question: 'Which colour?',
  askedAt: 0n,
  answer: '',
  abstained: false,
  confidence: 0.5,
  chosenIndex: -1,
  choice: null,
  evidence: [],
  answeredBy: 'm',
  retrieval: { mode: 'full-text', searches: [], considered: 0 },
  notes: [],
  ...fields,
});

describe('bench scoring', () => {
  let server: StandInModelServer;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
  });
  afterEach(() => server.stop());

  it('grades multiple choice by the chosen letter, with the abstain option as abstention', async () => {
    const q = question(['red', 'green', 'blue', 'white'], 'B');
    assert.deepEqual(await gradeAnswer(q, answer({ choice: 'B', chosenIndex: 1 }), null), {
      abstained: false,
      correct: true,
      predicted: 'B',
    });
    assert.deepEqual(await gradeAnswer(q, answer({ choice: 'C', chosenIndex: 2 }), null), {
      abstained: false,
      correct: false,
      predicted: 'C',
    });
    assert.deepEqual(await gradeAnswer(q, answer({ choice: 'E', abstained: true }), null), {
      abstained: true,
      correct: false,
      predicted: 'E',
    });
  });

  it('grades free form with the judge endpoint and refuses an ungraded reply', async () => {
    server.onChat = (request) => {
      const body = JSON.parse(String(request.messages.at(-1)!.content)) as { reference: string; candidate: string };
      return body.candidate.includes(body.reference) ? 'Matches.\nCORRECT' : 'Different fact.\nINCORRECT';
    };
    const judge = new FreeFormJudge({ client: new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 }), model: 'judge' });
    const q = question([], 'kitchen');
    assert.equal((await gradeAnswer(q, answer({ answer: 'in the kitchen' }), judge)).correct, true);
    assert.equal((await gradeAnswer(q, answer({ answer: 'the garage' }), judge)).correct, false);
    assert.equal((await gradeAnswer(q, answer({ answer: 'Insufficient information', abstained: true }), judge)).abstained, true);
    assert.equal(server.chatRequests().length, 2, 'abstentions are not sent to the judge');
    server.onChat = () => 'hmm';
    await assert.rejects(gradeAnswer(q, answer({ answer: 'garage' }), judge), /gave no grade/);
    await assert.rejects(gradeAnswer(q, answer({ answer: 'garage' }), null), /need a judge/);
  });
});
