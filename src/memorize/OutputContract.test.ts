import { strict as assert } from 'node:assert';
import { OutputContract, type ParsedReply } from './OutputContract.js';

const contract = new OutputContract();
const parse = (content: string | null, extra: { reasoning?: string; finishReason?: string } = {}) =>
  contract.parse({ content, reasoning: extra.reasoning ?? null, finishReason: extra.finishReason ?? 'stop' });

function description(result: ParsedReply): string {
  assert.ok(result.ok, `expected a description, got: ${result.ok ? '' : result.reason}`);
  return result.description;
}

function reason(result: ParsedReply): string {
  assert.ok(!result.ok, `expected a failure, got: ${result.ok ? result.description : ''}`);
  return result.reason;
}

describe('OutputContract', () => {
  it('reads the JSON after a full thinking block and after a lone closing tag', () => {
    const full = parse('<think>person_1 is at the door. Nothing else.</think>\n\n{"description": "person_1 opens the front door."}');
    assert.equal(description(full), 'person_1 opens the front door.');
    assert.ok(full.ok && full.thinkingTokens > 0 && full.repairs.length === 0);
    // Qwen3 thinking templates put <think> in the prompt: the reply carries only the closing tag.
    assert.equal(
      description(parse('The mug is red.\n</think>\n{"description": "A red mug stands on the table."}')),
      'A red mug stands on the table.',
    );
    // JSON-looking text inside the thinking does not count; the answer after </think> does.
    assert.equal(description(parse('<think>maybe {"description": "draft"}</think>{"description": "final"}')), 'final');
  });

  it('counts thinking the server split off (reasoning field) against the limit', () => {
    const long = 'x'.repeat(4 * 6401);
    assert.match(
      reason(parse('{"description": "A door opens."}', { reasoning: long })),
      /thinking too long: about 6401 tokens, at most 6400/,
    );
    assert.equal(description(parse('{"description": "A door opens."}', { reasoning: 'x'.repeat(4 * 6400) })), 'A door opens.');
  });

  it('fails a thinking block that never closed and says when max_tokens cut it', () => {
    assert.equal(
      reason(parse('<think>I keep thinking about', { finishReason: 'length' })),
      'thinking never closed with </think> (the reply was cut off at max_tokens)',
    );
  });

  it('repairs code fences, prose around the JSON, trailing commas, single quotes and unquoted keys', () => {
    const cases: [string, string, string[]][] = [
      ['```json\n{"description": "person_2 waves."}\n```', 'person_2 waves.', ['code fence']],
      [
        'Here is the memory: {"description": "person_2 waves."} Hope this helps!',
        'person_2 waves.',
        ['text before the JSON', 'text after the JSON'],
      ],
      ['{"description": "person_2 waves.",}', 'person_2 waves.', ['trailing comma']],
      ["{'description': 'person_2 says \"hi\" to the robot.'}", 'person_2 says "hi" to the robot.', ['single quotes']],
      ['{description: "person_2 waves."}', 'person_2 waves.', ['unquoted key']],
      ['{"description": "person_2 waves.\nThen leaves."}', 'person_2 waves.\nThen leaves.', ['raw control character in a string']],
    ];
    for (const [content, expected, repairs] of cases) {
      const result = parse(content);
      assert.equal(description(result), expected, content);
      assert.deepEqual(result.repairs, repairs, content);
    }
  });

  it('closes a reply cut off after a complete sentence, refuses one cut off mid-sentence', () => {
    const closed = parse('</think>{"description": "person_1 puts the keys in the blue bowl.', { finishReason: 'length' });
    assert.equal(description(closed), 'person_1 puts the keys in the blue bowl.');
    assert.ok(closed.repairs.includes('closed a cut-off ending'));
    assert.equal(description(parse('{"description": "A cat sleeps on the sofa."')), 'A cat sleeps on the sofa.');
    assert.equal(
      reason(parse('{"description": "person_1 puts the keys in the', { finishReason: 'length' })),
      'the reply ends in the middle of the description (the reply was cut off at max_tokens)',
    );
    assert.equal(reason(parse('{"description": ')), 'the reply ends before a value');
  });

  it('holds the schema: exactly one key, a non-empty string', () => {
    assert.equal(
      reason(parse('{"description": "A door.", "time": 3}')),
      'the JSON has keys [description, time]; the contract wants exactly one key "description"',
    );
    assert.equal(reason(parse('{"caption": "A door."}')), 'the JSON has keys [caption]; the contract wants exactly one key "description"');
    assert.equal(reason(parse('{"description": "   "}')), 'the description is empty');
    assert.equal(reason(parse('{"description": null}')), 'the description is a null, not a string');
    assert.equal(reason(parse('["description"]')), 'no JSON object in the answer');
  });

  it('says why a reply is not a memory at all', () => {
    assert.equal(reason(parse(null)), 'no answer');
    assert.equal(reason(parse('<think>hmm</think>')), 'no answer');
    assert.equal(reason(parse('person_1 opens the door.')), 'no JSON object in the answer');
    assert.match(reason(parse('{"description": "a" "b"}')), /^invalid JSON: /);
    assert.equal(reason(parse('{"description": "a"]')), 'unbalanced "]" in the JSON');
  });

  it('limits the description to 300 tokens', () => {
    const text = 'word '.repeat(241).trim(); // 1204 characters: about 301 tokens
    const result = parse(JSON.stringify({ description: text }));
    assert.equal(reason(result), 'description too long: about 301 tokens, at most 300');
    assert.equal(result.ok ? 0 : result.descriptionTokens, 301);
  });

  it('gives a response format whose schema is the contract', () => {
    const format = OutputContract.responseFormat();
    assert.equal(format.type, 'json_schema');
    assert.deepEqual((format.json_schema.schema as { required: string[] }).required, ['description']);
    assert.equal((format.json_schema.schema as { additionalProperties: boolean }).additionalProperties, false);
  });
});
