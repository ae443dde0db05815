import type OpenAI from 'openai';
import type { FocusContext, MemorizeContext, MemorizeOutcome, Memorizer } from '../memorize/Memorizer.js';
import type { FailedSegment, Memory } from '../memory/Memory.js';
import type { FocusRecords, FocusVectorRecord } from '../memory/FocusRecords.js';
import type { Segment } from '../segment/Segment.js';
import type { Logger } from '../log.js';
import type { RosNanos } from '../time.js';
import type { TextEmbedder } from './TaskGrouper.js';
import type { PairwiseJudge } from './PairwiseJudge.js';
import { choosePair, runTournament, type JudgedCandidate } from './preferences.js';
import { focusScore, trainFocusVector } from './FocusVector.js';
import { storedRequest } from './storedRequest.js';

/** One sampled candidate memory with its quality-gate result. */
export interface Candidate {
  text: string;
  /** The whole completion, thinking included. */
  completion: string;
  passed: boolean;
  reasons: string[];
  descriptionTokens: number;
  /** The memory this candidate would become; null when it failed the gate. */
  memory: Memory | null;
}

/**
 * The candidates of one request with the request itself (`messages`, images as data URLs; `prompt` as text), or
 * why it failed (`unreachable`: the endpoint never answered).
 */
export type CandidateBatch =
  | { candidates: Candidate[]; prompt: string; messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] }
  | { failure: FailedSegment; unreachable?: boolean };

/** A memorizer that can also sample several candidates for a segment in one request. */
export interface CandidateSource extends Memorizer {
  sampleCandidates(segment: Segment, context: MemorizeContext, n: number, signal?: AbortSignal): Promise<CandidateBatch>;
}

export interface FocusedMemorizerOptions {
  source: CandidateSource;
  store: FocusRecords;
  /** The reward model of depth 2; depth ≥ 2 without a judge keeps the first candidate that passes the gate. */
  judge: PairwiseJudge | null;
  embedder: TextEmbedder;
  /** focus.candidates */
  candidates: number;
  /** focus.max_judge_calls */
  maxJudgeCalls: number;
  /** Pair counts of a group at which its focus vector is (re)trained; after the last, every further step of it. */
  trainAt?: number[];
  now: () => RosNanos;
  logger: Logger;
}

export interface FocusStats {
  segments: number;
  judgeCalls: number;
  pairsKept: number;
  pairsSkipped: Record<string, number>;
  rankedByVector: number;
  trainings: number;
  /** Wall time spent ranking candidates with a focus vector (embedding included), ms. */
  rankingMs: number;
}

/**
 * Task-focused memorization, depths 2 and 3 (depth 0 and 1 go straight to the source, which names the tasks in
 * its prompt). Depth 2: n candidates are sampled in one request, those failing the quality gate are dropped, a
 * pairwise judge compares the rest both ways round within a call budget, the preferred one is kept, and the
 * segment's preference pair (the paper's recipe) is stored. Depth 3: once a group has a trained focus vector the
 * candidates are ranked by it without judge calls; until then depth 3 behaves as depth 2 and collects pairs.
 */
export class FocusedMemorizer implements Memorizer {
  readonly name: string;
  readonly stats: FocusStats = {
    segments: 0,
    judgeCalls: 0,
    pairsKept: 0,
    pairsSkipped: {},
    rankedByVector: 0,
    trainings: 0,
    rankingMs: 0,
  };
  readonly #source: CandidateSource;
  readonly #store: FocusRecords;
  readonly #judge: PairwiseJudge | null;
  readonly #embedder: TextEmbedder;
  readonly #candidates: number;
  readonly #maxJudgeCalls: number;
  readonly #trainAt: number[];
  readonly #now: () => RosNanos;
  readonly #logger: Logger;

  constructor({ source, store, judge, embedder, candidates, maxJudgeCalls, trainAt = [10, 30, 50], now, logger }: FocusedMemorizerOptions) {
    this.#source = source;
    this.#store = store;
    this.#judge = judge;
    this.#embedder = embedder;
    this.#candidates = candidates;
    this.#maxJudgeCalls = maxJudgeCalls;
    this.#trainAt = trainAt;
    this.#now = now;
    this.#logger = logger;
    this.name = `focused(${source.name})`;
  }

  async memorize(segment: Segment, context: MemorizeContext, signal?: AbortSignal): Promise<MemorizeOutcome> {
    const focus = context.focus;
    if (!focus || focus.depth < 2 || this.#candidates < 2) return this.#source.memorize(segment, context, signal);
    this.stats.segments++;
    const batch = await this.#source.sampleCandidates(segment, context, this.#candidates, signal);
    if ('failure' in batch) return { kind: 'failed', failure: batch.failure, ...(batch.unreachable ? { unreachable: true } : {}) };
    const passing = batch.candidates.filter((c): c is Candidate & { memory: Memory } => c.passed && c.memory !== null);
    if (passing.length === 0) {
      const reasons = [...new Set(batch.candidates.flatMap((c) => c.reasons))].join('; ');
      // Every candidate failed the gate: let the source retry the segment the ordinary way.
      this.#logger.debug(`focus: all ${batch.candidates.length} candidates failed the quality gate (${reasons})`);
      return this.#source.memorize(segment, context, signal);
    }
    if (passing.length === 1) return { kind: 'memory', memory: withFocus(passing[0]!.memory, focus, 2, null) };

    // Read from the store every time: a vector trained or reset elsewhere (taskmem focus reset) applies at once.
    const record = focus.depth >= 3 ? await this.#store.focusVector(focus.group) : null;
    if (record) {
      const started = performance.now();
      const embeddings = await this.#embedder.embed(passing.map((c) => c.text));
      const scores = embeddings.map((e) => focusScore(record.vector, e));
      let best = 0;
      for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
      this.stats.rankingMs += performance.now() - started;
      this.stats.rankedByVector++;
      return { kind: 'memory', memory: withFocus(passing[best]!.memory, focus, 3, scores[best]!) };
    }
    if (!this.#judge) return { kind: 'memory', memory: withFocus(passing[0]!.memory, focus, 2, null) };

    const judged: JudgedCandidate[] = passing.map((c) => ({ text: c.text, descriptionTokens: c.descriptionTokens }));
    const tournament = await runTournament(judged, this.#judge, focus.examples, this.#maxJudgeCalls, signal);
    this.stats.judgeCalls += tournament.judgeCalls;
    const kept = withFocus(passing[tournament.best]!.memory, focus, 2, tournament.bestWinShare);
    await this.#keepPair(segment, focus, batch, passing, tournament.preferences);
    return { kind: 'memory', memory: kept };
  }

  async #keepPair(
    segment: Segment,
    focus: FocusContext,
    batch: Extract<CandidateBatch, { candidates: Candidate[] }>,
    passing: Candidate[],
    preferences: { winner: number; loser: number }[],
  ): Promise<void> {
    const choice = choosePair(passing, preferences);
    if ('skipped' in choice) {
      this.stats.pairsSkipped[choice.skipped] = (this.stats.pairsSkipped[choice.skipped] ?? 0) + 1;
      return;
    }
    const chosen = passing[choice.chosen]!;
    const rejected = passing[choice.rejected]!;
    const [chosenEmbedding, rejectedEmbedding] = await this.#embedder.embed([chosen.text, rejected.text]);
    const { request, images } = storedRequest(batch.messages);
    await this.#store.putPreference(
      {
        id: `${chosen.memory!.id}/pair`,
        segmentId: chosen.memory!.id,
        group: focus.group,
        prompt: batch.prompt,
        request,
        chosen: chosen.text,
        rejected: rejected.text,
        chosenCompletion: chosen.completion,
        rejectedCompletion: rejected.completion,
        examples: focus.examples,
        chosenEmbedding: chosenEmbedding ?? null,
        rejectedEmbedding: rejectedEmbedding ?? null,
        createdAt: segment.end,
      },
      images,
    );
    this.stats.pairsKept++;
    if (focus.depth >= 3) await this.#maybeTrain(focus.group);
  }

  async #maybeTrain(group: string): Promise<void> {
    const count = (await this.#store.preferences(group)).length;
    const last = this.#trainAt.at(-1) ?? 10;
    const step = this.#trainAt.length > 1 ? last - this.#trainAt.at(-2)! : last;
    if (this.#trainAt.includes(count) || (count > last && (count - last) % step === 0)) await this.train(group);
  }

  /**
   * Trains (or retrains) the group's focus vector on all its stored preference pairs and makes it the one in use.
   * Returns null when the group has no pairs yet.
   */
  async train(group: string): Promise<FocusVectorRecord | null> {
    const pairs = await this.#store.preferences(group);
    if (pairs.length === 0) return null;
    const embedded = [];
    for (const pair of pairs) {
      const [chosen, rejected] =
        pair.chosenEmbedding && pair.rejectedEmbedding
          ? [pair.chosenEmbedding, pair.rejectedEmbedding]
          : await this.#embedder.embed([pair.chosen, pair.rejected]);
      embedded.push({ chosen: chosen!, rejected: rejected! });
    }
    const started = performance.now();
    const result = trainFocusVector(embedded);
    const record = await this.#store.putFocusVector({ group, vector: result.vector, pairs: pairs.length, trainedAt: this.#now() });
    this.stats.trainings++;
    this.#logger.info(
      `focus: trained vector v${record.version} for group "${group}" on ${pairs.length} pairs in ${(performance.now() - started).toFixed(0)} ms ` +
        `(DPO loss ${result.initialLoss.toFixed(3)} → ${result.finalLoss.toFixed(3)}, pair accuracy ${(result.pairAccuracy * 100).toFixed(0)}%)`,
    );
    return record;
  }
}

function withFocus(memory: Memory, focus: FocusContext, depth: number, preference: number | null): Memory {
  return { ...memory, taskGroup: focus.group, focusDepth: depth, quality: { ...memory.quality, preference } };
}
