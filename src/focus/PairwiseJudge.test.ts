import { strict as assert } from 'node:assert';
import OpenAI from 'openai';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { judgeBothWays, LlmPairwiseJudge, parseVerdict } from './PairwiseJudge.js';

describe('LlmPairwiseJudge', () => {
  let server: StandInModelServer;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
  });
  afterEach(() => server.stop());

  const judgeOn = (s: StandInModelServer) =>
    new LlmPairwiseJudge({ client: new OpenAI({ baseURL: s.url, apiKey: 'k', maxRetries: 0 }), model: 'judge' });

  /** The stand-in prefers whichever description mentions a colour, wherever it is shown. */
  function preferColour(s: StandInModelServer) {
    s.onChat = (request) => {
      const user = String(request.messages.at(-1)?.content);
      const a = /Description A: (.*)/.exec(user)?.[1] ?? '';
      const b = /Description B: (.*)/.exec(user)?.[1] ?? '';
      const hasColour = (t: string) => /teal|red|blue/.test(t);
      const verdict = hasColour(a) === hasColour(b) ? 'TIE' : hasColour(a) ? 'A' : 'B';
      return `<think>comparing</think>Reasoning here. VERDICT: ${verdict}`;
    };
  }

  it('counts a preference only when it holds with positions swapped', async () => {
    preferColour(server);
    const judge = judgeOn(server);
    assert.equal(await judgeBothWays(judge, 'two chairs', 'a teal mug', ['What colour was the mug?']), 1);
    assert.equal(await judgeBothWays(judge, 'a teal mug', 'two chairs', ['What colour was the mug?']), 0);
    assert.equal(judge.cost.calls, 4);
    assert.ok(judge.cost.promptTokens > 0);
    const sent = server.chatRequests().at(-1)!;
    assert.match(String(sent.messages.at(-1)!.content), /What colour was the mug\?/);
  });

  it('treats a position-biased judge as no preference', async () => {
    server.onChat = () => 'VERDICT: A';
    assert.equal(await judgeBothWays(judgeOn(server), 'x', 'y', []), null);
  });

  it('counts a failed judge request as a tie instead of failing the segment', async () => {
    server.failNext({ kind: 'status', status: 500 }, 2);
    assert.equal(await judgeBothWays(judgeOn(server), 'x', 'y', []), null);
  });

  it('reads the last verdict line of a reply', () => {
    assert.equal(parseVerdict('VERDICT: A … on reflection VERDICT: B'), 'second');
    assert.equal(parseVerdict('no verdict at all'), 'tie');
    assert.equal(parseVerdict('verdict: tie'), 'tie');
  });
});
