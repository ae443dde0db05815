import { strict as assert } from 'node:assert';
import OpenAI from 'openai';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import type { Answer } from '../answer/Answer.js';
import type { BenchQuestion } from './datasets.js';
import { answerMetrics } from '../answer/metrics.js';
import type { PromptTemplate } from '../memorize/PromptTemplate.js';
import type { PaperAnswer } from './PaperAnswerer.js';
import { PaperPrompts } from './paperPrompts.js';
import { FreeFormJudge, gradeAnswer, gradePaperAnswer, readGrade } from './scoring.js';

const question = (options: string[], answer: string): BenchQuestion => ({
  id: 'q',
  videoId: 'v',
  type: 't',
  question: 'Which colour?',
  options,
  answer,
  arrivesAt: null,
  askedOn: null,
  order: 0,
  clips: null,
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

const paper = (fields: Partial<PaperAnswer>): PaperAnswer => ({
  predicted: '',
  abstained: false,
  unparsable: false,
  votes: null,
  memories: 3,
  replies: [],
  ...fields,
});

describe('bench scoring', () => {
  let server: StandInModelServer;
  let judgePrompt: PromptTemplate;
  before(async () => {
    judgePrompt = (await PaperPrompts.load(null)).get('judge');
  });
  beforeEach(async () => {
    server = await new StandInModelServer().start();
  });
  afterEach(() => server.stop());

  const judgeOf = (maxTokens = 16384) =>
    new FreeFormJudge({
      client: new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 }),
      model: 'judge',
      prompt: judgePrompt,
      maxTokens,
      timeoutMs: 10_000,
    });
  const none = { unparsable: false, judgeError: false };

  it('grades the robot answerer by the chosen letter, with the abstain option as abstention', async () => {
    const q = question(['red', 'green', 'blue', 'white'], 'B');
    assert.deepEqual(await gradeAnswer(q, answer({ choice: 'B', chosenIndex: 1 }), null), {
      ...none,
      abstained: false,
      correct: true,
      predicted: 'B',
    });
    assert.deepEqual(await gradeAnswer(q, answer({ choice: 'C', chosenIndex: 2 }), null), {
      ...none,
      abstained: false,
      correct: false,
      predicted: 'C',
    });
    assert.deepEqual(await gradeAnswer(q, answer({ choice: 'E', abstained: true }), null), {
      ...none,
      abstained: true,
      correct: false,
      predicted: 'E',
    });
  });

  it("scores the paper's unreadable reply as answered and wrong, not as an abstention", async () => {
    const q = question(['red', 'green', 'blue', 'white'], 'B');
    assert.deepEqual(await gradePaperAnswer(q, paper({ predicted: 'B' }), null), {
      ...none,
      abstained: false,
      correct: true,
      predicted: 'B',
    });
    assert.deepEqual(await gradePaperAnswer(q, paper({ predicted: 'E', abstained: true }), null), {
      ...none,
      abstained: true,
      correct: false,
      predicted: 'E',
    });
    assert.deepEqual(await gradePaperAnswer(q, paper({ unparsable: true }), null), {
      abstained: false,
      correct: false,
      predicted: '',
      unparsable: true,
      judgeError: false,
    });
    const metrics = answerMetrics([
      await gradePaperAnswer(q, paper({ unparsable: true }), null),
      await gradePaperAnswer(q, paper({ predicted: 'B' }), null),
    ]);
    assert.equal(metrics.coverage.value, 1, 'an unreadable reply counts as answered');
    assert.equal(metrics.precision.value, 0.5);
  });

  it('grades free form with a thinking judge given room to think, and never sends abstentions', async () => {
    server.onChat = (request) => {
      const content = String(request.messages.at(-1)!.content);
      const [, reference, prediction] = /Ground-truth answer: (.*)\nPredicted answer: (.*)/.exec(content)!;
      const verdict = prediction!.includes(reference!) ? 'correct' : 'incorrect';
      // A thinking judge: long reasoning first, the verdict as a Python dictionary at the end.
      return `<think>${'Let me compare the two answers carefully. '.repeat(200)}</think>{'pred': '${verdict}', 'score': 4, 'reason': "it's about the place"}`;
    };
    const judge = judgeOf();
    const q = question([], 'kitchen');
    assert.equal((await gradePaperAnswer(q, paper({ predicted: 'in the kitchen' }), judge)).correct, true);
    assert.equal((await gradeAnswer(q, answer({ answer: 'the garage' }), judge)).correct, false);
    assert.equal((await gradePaperAnswer(q, paper({ abstained: true }), judge)).abstained, true);
    assert.equal(server.chatRequests().length, 2, 'abstentions are not sent to the judge');
    assert.equal(server.chatRequests()[0]!.max_tokens, 16384);
  });

  it('asks the judge again when its reply has no grade, and counts a judge error after three', async () => {
    const replies = ['hmm', '{"pred": "correct", "score": 5}'];
    server.onChat = () => replies.shift() ?? 'still thinking';
    const q = question([], 'kitchen');
    assert.deepEqual(await gradePaperAnswer(q, paper({ predicted: 'kitchen' }), judgeOf()), {
      ...none,
      abstained: false,
      correct: true,
      predicted: 'kitchen',
    });
    assert.equal(server.chatRequests().length, 2);
    assert.deepEqual(await gradePaperAnswer(q, paper({ predicted: 'garage' }), judgeOf()), {
      abstained: false,
      correct: false,
      predicted: 'garage',
      unparsable: false,
      judgeError: true,
    });
    assert.equal(server.chatRequests().length, 5);
    await assert.rejects(gradePaperAnswer(q, paper({ predicted: 'garage' }), null), /need a judge/);
  });

  it('stops on a judge endpoint that keeps failing, rather than record a guess', async () => {
    server.failNext({ kind: 'status', status: 500 }, 5);
    await assert.rejects(gradePaperAnswer(question([], 'kitchen'), paper({ predicted: 'kitchen' }), judgeOf()), /500/);
  });

  it('reads grades the way judges write them', () => {
    assert.equal(readGrade('{"pred": "incorrect", "score": 1, "reason": "no"}'), 'incorrect');
    assert.equal(readGrade("Sure. {'pred': 'correct', 'score': 5, 'reason': 'same'}"), 'correct');
    assert.equal(readGrade('<think>maybe CORRECT? no.</think>Verdict: INCORRECT'), 'incorrect');
    assert.equal(readGrade('<think>It is correct</think>'), null);
  });
});
