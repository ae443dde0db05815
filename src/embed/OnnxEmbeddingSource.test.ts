import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnnxModel } from '../../test/support/OnnxModelBuilder.js';
import { OnnxEmbeddingSource } from './OnnxEmbeddingSource.js';

// A BERT-shaped model reduced to its embedding table: last_hidden_state[b, i] = table[input_ids[b, i]].
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'red', 'cup', '##s', 'key', 'table', '.'];
const TABLE = [
  [0, 0, 7], // [PAD]: a pooling that counted padding would show it
  [0, 0, 9], // [UNK]
  [1, 0, 0], // [CLS]
  [0, 1, 0], // [SEP]
  [2, 0, 0], // red
  [0, 2, 0], // cup
  [0, 0, 4], // ##s
  [4, 4, 0], // key
  [3, 0, 3], // table
  [0, 0, 0], // .
];

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function close(actual: Float32Array, expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-6, `component ${i}: ${x} vs ${expected[i]}`));
}

describe('OnnxEmbeddingSource', () => {
  let dir: string;
  let modelPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taskmem-onnx-'));
    modelPath = join(dir, 'model.onnx');
    const model = buildOnnxModel({
      nodes: [{ op: 'Gather', inputs: ['table', 'input_ids'], outputs: ['last_hidden_state'] }],
      initializers: [{ name: 'table', dims: [VOCAB.length, 3], floats: Float32Array.from(TABLE.flat()) }],
      inputs: [
        { name: 'input_ids', elemType: 7, shape: ['batch', 'tokens'] },
        { name: 'attention_mask', elemType: 7, shape: ['batch', 'tokens'] },
      ],
      outputs: [{ name: 'last_hidden_state', elemType: 1, shape: ['batch', 'tokens', 3] }],
    });
    await writeFile(modelPath, model);
    await writeFile(join(dir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('mean-pools word pieces over the unmasked tokens and normalises', async () => {
    const source = await OnnxEmbeddingSource.load({ path: modelPath, maxTokens: 16 });
    try {
      // "Red cups." → [CLS] red cup ##s . [SEP]; "key" → [CLS] key [SEP] padded to the same width in one batch.
      const [cups, key] = await source.embed(['Red cups.', 'key']);
      close(cups!, unit([1 + 2, 2 + 1, 4]));
      close(key!, unit([1 + 4, 4 + 1, 0]));
      assert.equal(source.name, `onnx:${modelPath}`);
    } finally {
      await source.close();
    }
  });

  it('strips accents, marks unknown words and cuts long text at maxTokens', async () => {
    const source = await OnnxEmbeddingSource.load({ path: modelPath, maxTokens: 3 });
    try {
      // maxTokens 3: [CLS] táble→table [SEP]; the rest is cut.
      const [cut] = await source.embed(['TÁBLE red red red']);
      close(cut!, unit([1 + 3, 1, 3]));
      // "zebra" has no pieces → [UNK].
      const [unknown] = await source.embed(['zebra']);
      close(unknown!, unit([1, 1, 9]));
    } finally {
      await source.close();
    }
  });

  it('explains a missing vocabulary or a model that is not an embedding model', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'taskmem-onnx-bare-'));
    try {
      const inner = join(bare, 'a', 'model.onnx');
      await rm(inner, { force: true });
      await assert.rejects(OnnxEmbeddingSource.load({ path: inner, maxTokens: 8 }), /no vocab\.txt beside the model/);
      await writeFile(join(bare, 'vocab.txt'), VOCAB.join('\n'));
      await writeFile(
        join(bare, 'model.onnx'),
        buildOnnxModel({
          nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
          initializers: [],
          inputs: [{ name: 'x', elemType: 1, shape: [1] }],
          outputs: [{ name: 'y', elemType: 1, shape: [1] }],
        }),
      );
      await assert.rejects(
        OnnxEmbeddingSource.load({ path: join(bare, 'model.onnx'), maxTokens: 8 }),
        /has no input_ids input \(inputs: x\)/,
      );
      await writeFile(join(bare, 'broken.onnx'), 'not a model');
      await assert.rejects(
        OnnxEmbeddingSource.load({ path: join(bare, 'broken.onnx'), maxTokens: 8 }),
        /broken\.onnx\): cannot load the model/,
      );
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
