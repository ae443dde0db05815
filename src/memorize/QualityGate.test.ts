import { strict as assert } from 'node:assert';
import { OutputContract } from './OutputContract.js';
import { QualityGate } from './QualityGate.js';

const contract = new OutputContract();
const gate = new QualityGate();
const reply = (description: string) => contract.parse({ content: JSON.stringify({ description }), reasoning: null, finishReason: 'stop' });
const check = (description: string, preceding: string[] = []) => gate.check(reply(description), preceding);

describe('QualityGate', () => {
  it('passes a clean description and reports its scores', () => {
    const result = check('person_1 sets a blue bowl on the hall table and says "keys go here".', [
      'person_1 walks into the hall carrying groceries.',
    ]);
    assert.deepEqual(result.reasons, []);
    assert.equal(result.passed, true);
    assert.deepEqual(result.scores, { format: true, hygiene: true, preference: null, descriptionTokens: 17 });
  });

  it('fails a reply that breaks the output contract, with the contract reason', () => {
    const result = gate.check(contract.parse({ content: 'person_1 waves.', reasoning: null, finishReason: 'stop' }), []);
    assert.equal(result.passed, false);
    assert.deepEqual(result.reasons, ['format: no JSON object in the answer']);
    assert.deepEqual(result.scores, { format: false, hygiene: null, preference: null, descriptionTokens: 0 });
  });

  it('fails a description that repeats a fact of the preceding descriptions, not one that continues them', () => {
    const preceding = ['person_1 sits at the desk typing on a silver laptop. A plant stands by the window.'];
    const repeated = check('person_2 enters the room, and person_1 is sitting at the desk typing on the silver laptop.', preceding);
    assert.equal(repeated.passed, false);
    assert.deepEqual(repeated.reasons, ['repeats a preceding fact: "person_1 is sitting at the desk typing on the silver laptop"']);
    assert.equal(repeated.scores.hygiene, false);
    assert.equal(check('person_1 stops typing and closes the laptop lid.', preceding).passed, true);
    assert.equal(check('person_1 continues working at the desk.', preceding).passed, true);
  });

  it('fails bounding boxes, coordinates, meta phrases, speaker labels in quotes and "The video" openings', () => {
    const cases: [string, string][] = [
      ['A cup at [120, 40, 200, 110] is picked up by person_1.', 'mentions bounding boxes or coordinates: "[120, 40, 200, 110]"'],
      ['The bounding box of the cup moves left as person_1 lifts it.', 'mentions bounding boxes or coordinates: "bounding box"'],
      ['person_1 stands near the door at (3.2, -1.5) holding a bag.', 'mentions bounding boxes or coordinates: "(3.2, -1.5)"'],
      ['The subtitles say person_1 wants coffee.', 'meta phrase: "subtitles"'],
      ['In this video person_1 pours coffee into a mug.', 'meta phrase: "In this video"'],
      ['Based on previous videos, person_1 is the cook of the house.', 'meta phrase: "Based on previous videos"'],
      ['person_1 leaves the kitchen; this clip ends with the lights off.', 'meta phrase: "this clip ends"'],
      ['person_1 says "person_2: pass the salt" while laughing.', 'transcript-style speaker label inside quotes'],
      ["person_1 reads out 'Speaker 2: welcome' from the sheet.", 'transcript-style speaker label inside quotes'],
      ['The video shows person_1 opening the fridge door.', 'starts with "The video"'],
      ['person_1 reaches for the shelf and then...', 'describes a cut-off ending: "..."'],
      ['OK.', 'length: only 1 word'],
    ];
    for (const [text, expected] of cases) {
      const result = check(text);
      assert.equal(result.passed, false, text);
      assert.ok(result.reasons.includes(expected), `${text} → ${result.reasons.join(' | ')}`);
    }
  });

  it('does not flag quoted speech without a label or ordinary numbers', () => {
    assert.deepEqual(check('person_2 asks "Where are my keys?" and person_1 points to 2 bowls on the shelf.').reasons, []);
    assert.deepEqual(check("The robot's camera sees person_3 carry a box labelled 'Fragile: glass' into the garage.").reasons, []);
  });
});
