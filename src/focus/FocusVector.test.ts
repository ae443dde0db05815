import { strict as assert } from 'node:assert';
import { focusScore, trainFocusVector } from './FocusVector.js';
import { LexicalEmbedder } from './LexicalEmbedder.js';

describe('focus vector (DPO)', () => {
  it('learns to prefer the kind of content the chosen memories have', async () => {
    const embedder = new LexicalEmbedder(256);
    const colours = ['teal', 'amber', 'violet', 'crimson'];
    const pairs = [];
    for (let i = 0; i < 40; i++) {
      const colour = colours[i % colours.length]!;
      const [chosen, rejected] = await embedder.embed([`a ${colour} mug lay near the shelf`, `three boxes stood in a row ${i}`]);
      pairs.push({ chosen: chosen!, rejected: rejected! });
    }
    const result = trainFocusVector(pairs);
    assert.ok(result.finalLoss < result.initialLoss / 4, `loss ${result.initialLoss} → ${result.finalLoss}`);
    assert.equal(result.pairAccuracy, 1);
    // Generalises to unseen wording of the same kind.
    const [unseenColour, unseenCount] = await embedder.embed(['a navy lamp lay near the shelf', 'five carts stood in a row']);
    assert.ok(focusScore(result.vector, unseenColour!) > focusScore(result.vector, unseenCount!));
  });

  it('stays at zero preference when the pairs contradict each other', async () => {
    const embedder = new LexicalEmbedder(64);
    const [x, y] = await embedder.embed(['red mug', 'blue chair']);
    const result = trainFocusVector([
      { chosen: x!, rejected: y! },
      { chosen: y!, rejected: x! },
    ]);
    assert.ok(Math.abs(focusScore(result.vector, x!) - focusScore(result.vector, y!)) < 1e-3);
  });

  it('rejects pairs of mixed dimensions with a clear error', () => {
    assert.throws(
      () => trainFocusVector([{ chosen: new Float32Array(3), rejected: new Float32Array(4) }]),
      /pair 0 has embeddings of length 3\/4, expected 3/,
    );
    assert.throws(() => trainFocusVector([]), /no preference pairs/);
  });
});
