/**
 * The learned focus of depth 3: one vector per task group, scored against candidate embeddings
 * (score = w · e). It plays the part of the paper's steer vector on the robot's CPU: initialised at zero (no
 * preference), trained with the DPO objective on preference pairs while everything else stays frozen. With the
 * reference policy at w = 0 the DPO margin of a pair reduces to β · w · (e_chosen − e_rejected).
 */
export interface DpoOptions {
  /** DPO temperature β. */
  beta?: number;
  epochs?: number;
  learningRate?: number;
  /** L2 pull towards the reference (w = 0), keeping the vector small where pairs disagree. */
  l2?: number;
}

export interface TrainingResult {
  vector: Float32Array;
  /** Mean DPO loss before and after training (ln 2 ≈ 0.693 at w = 0). */
  initialLoss: number;
  finalLoss: number;
  /** Share of training pairs the trained vector ranks the right way round. */
  pairAccuracy: number;
}

export interface EmbeddedPair {
  chosen: Float32Array;
  rejected: Float32Array;
}

/**
 * Trains a focus vector with full-batch Adam on the DPO loss, stopping early once the loss no longer moves.
 * Differences e_chosen − e_rejected are kept sparse (lexical embeddings have a few dozen non-zeros), which keeps
 * 1,000 pairs well under a second on one core. Deterministic for the same pairs.
 */
export function trainFocusVector(
  pairs: EmbeddedPair[],
  { beta = 2, epochs = 200, learningRate = 0.05, l2 = 1e-3 }: DpoOptions = {},
): TrainingResult {
  const first = pairs[0];
  if (!first) throw new Error('trainFocusVector failed: no preference pairs');
  const dim = first.chosen.length;
  const differences = pairs.map(({ chosen, rejected }, i) => {
    if (chosen.length !== dim || rejected.length !== dim)
      throw new Error(`trainFocusVector failed: pair ${i} has embeddings of length ${chosen.length}/${rejected.length}, expected ${dim}`);
    return sparseDifference(chosen, rejected);
  });
  const w = new Float64Array(dim);
  const m = new Float64Array(dim);
  const v = new Float64Array(dim);
  const gradient = new Float64Array(dim);
  const initialLoss = Math.LN2;
  let previousLoss = Infinity;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    gradient.fill(0);
    let loss = 0;
    for (const d of differences) {
      const margin = beta * sparseDot(w, d);
      loss += softplus(-margin);
      // d/dw of -log σ(margin) = -(1 - σ(margin)) β d
      const coefficient = (-beta * (1 - sigmoid(margin))) / differences.length;
      for (let j = 0; j < d.index.length; j++) gradient[d.index[j]!]! += coefficient * d.value[j]!;
    }
    loss /= differences.length;
    if (Math.abs(previousLoss - loss) < 1e-5) break;
    previousLoss = loss;
    const mScale = 1 / (1 - 0.9 ** epoch);
    const vScale = 1 / (1 - 0.999 ** epoch);
    for (let k = 0; k < dim; k++) {
      const g = gradient[k]! + l2 * w[k]!;
      m[k] = 0.9 * m[k]! + 0.1 * g;
      v[k] = 0.999 * v[k]! + 0.001 * g * g;
      w[k]! -= (learningRate * m[k]! * mScale) / (Math.sqrt(v[k]! * vScale) + 1e-8);
    }
  }
  let loss = 0;
  let right = 0;
  for (const d of differences) {
    const margin = beta * sparseDot(w, d);
    loss += softplus(-margin);
    if (margin > 0) right++;
  }
  return { vector: Float32Array.from(w), initialLoss, finalLoss: loss / differences.length, pairAccuracy: right / differences.length };
}

interface SparseVector {
  index: Uint32Array;
  value: Float64Array;
}

function sparseDifference(chosen: Float32Array, rejected: Float32Array): SparseVector {
  const index: number[] = [];
  const value: number[] = [];
  for (let k = 0; k < chosen.length; k++) {
    const d = chosen[k]! - rejected[k]!;
    if (d !== 0) {
      index.push(k);
      value.push(d);
    }
  }
  return { index: Uint32Array.from(index), value: Float64Array.from(value) };
}

function sparseDot(w: Float64Array, d: SparseVector): number {
  let s = 0;
  for (let j = 0; j < d.index.length; j++) s += w[d.index[j]!]! * d.value[j]!;
  return s;
}

/** log(1 + e^x) without overflow; -log σ(m) = softplus(-m). */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** How strongly a focus vector prefers a candidate. */
export function focusScore(vector: Float32Array, embedding: Float32Array): number {
  let s = 0;
  for (let k = 0; k < vector.length; k++) s += vector[k]! * (embedding[k] ?? 0);
  return s;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
