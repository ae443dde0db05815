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

/** Trains a focus vector with full-batch Adam on the DPO loss. Deterministic for the same pairs. */
export function trainFocusVector(pairs: EmbeddedPair[], { beta = 2, epochs = 200, learningRate = 0.05, l2 = 1e-3 }: DpoOptions = {}): TrainingResult {
  const first = pairs[0];
  if (!first) throw new Error('trainFocusVector failed: no preference pairs');
  const dim = first.chosen.length;
  const differences = pairs.map(({ chosen, rejected }, i) => {
    if (chosen.length !== dim || rejected.length !== dim) throw new Error(`trainFocusVector failed: pair ${i} has embeddings of length ${chosen.length}/${rejected.length}, expected ${dim}`);
    const d = new Float32Array(dim);
    for (let k = 0; k < dim; k++) d[k] = chosen[k]! - rejected[k]!;
    return d;
  });
  const w = new Float64Array(dim);
  const m = new Float64Array(dim);
  const v = new Float64Array(dim);
  const gradient = new Float64Array(dim);
  const initialLoss = Math.LN2;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    gradient.fill(0);
    for (const d of differences) {
      const margin = beta * dot(w, d);
      // d/dw of -log σ(margin) = -(1 - σ(margin)) β d
      const coefficient = -beta * (1 - sigmoid(margin)) / differences.length;
      for (let k = 0; k < dim; k++) gradient[k]! += coefficient * d[k]!;
    }
    for (let k = 0; k < dim; k++) {
      const g = gradient[k]! + l2 * w[k]!;
      m[k] = 0.9 * m[k]! + 0.1 * g;
      v[k] = 0.999 * v[k]! + 0.001 * g * g;
      const mHat = m[k]! / (1 - 0.9 ** epoch);
      const vHat = v[k]! / (1 - 0.999 ** epoch);
      w[k]! -= (learningRate * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
  }
  let loss = 0;
  let right = 0;
  for (const d of differences) {
    const margin = beta * dot(w, d);
    loss += -Math.log(sigmoid(margin));
    if (margin > 0) right++;
  }
  return { vector: Float32Array.from(w), initialLoss, finalLoss: loss / differences.length, pairAccuracy: right / differences.length };
}

/** How strongly a focus vector prefers a candidate. */
export function focusScore(vector: Float32Array, embedding: Float32Array): number {
  let s = 0;
  for (let k = 0; k < vector.length; k++) s += vector[k]! * (embedding[k] ?? 0);
  return s;
}

function dot(w: Float64Array, d: Float32Array): number {
  let s = 0;
  for (let k = 0; k < w.length; k++) s += w[k]! * d[k]!;
  return s;
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
