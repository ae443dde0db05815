import OpenAI from 'openai';
import type { Config } from '../config/schema.js';
import { FocusedMemorizer } from '../focus/FocusedMemorizer.js';
import { LexicalEmbedder } from '../focus/LexicalEmbedder.js';
import { LlmPairwiseJudge } from '../focus/PairwiseJudge.js';
import type { Logger } from '../log.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { RosNanos } from '../time.js';
import type { Memorizer } from './Memorizer.js';
import { PerceptionMemorizer } from './PerceptionMemorizer.js';
import { PolicyMemorizer } from './PolicyMemorizer.js';
import { SegmentSight } from '../people/SegmentSight.js';

export interface OpenedMemorizer {
  /** What writes memories: the policy (wrapped by task focus at depth ≥ 2), or the perception memorizer. */
  memorizer: Memorizer;
  /** Takes a segment when the policy endpoint is unreachable (memorizer.fallback); null otherwise. */
  fallback: Memorizer | null;
  /** The focus wrapper, when focus.depth ≥ 2 was configured at start (its vectors can be trained and reset). */
  focused: FocusedMemorizer | null;
  /** One line for the start-up log. */
  description: string;
  /** What task focus has cost and done so far (judge calls and tokens, vector rankings, pairs, trainings); null below depth 2. */
  focusCost: (() => Record<string, number>) | null;
}

/**
 * The memorizer the configuration describes, as the node, `taskmem ingest`, the benchmark harness and the demo
 * all use it. No `memorizer.url`: the embedded perception memorizer writes every memory. With a url: the policy,
 * wrapped by the focused memorizer (candidates, pairwise judge, focus vector) when focus.depth ≥ 2 — the wrapper
 * itself falls through to the policy when the live depth is lower — and the perception memorizer as fallback.
 */
export async function openMemorizer(
  config: Pick<Config, 'memorizer' | 'segment' | 'store' | 'focus' | 'perception' | 'people'>,
  { store, now, logger, env = process.env }: { store: MemoryStore; now: () => RosNanos; logger: Logger; env?: NodeJS.ProcessEnv },
): Promise<OpenedMemorizer> {
  // One sight for both memorizers: a segment the policy could not write is not looked at twice.
  const sight = await SegmentSight.fromConfig(config, { store, logger });
  const needsPerception = !config.memorizer.url || config.memorizer.fallback;
  const perception = needsPerception ? await PerceptionMemorizer.load({ now, thumbnails: config.store.thumbnails, sight, logger }) : null;
  if (!config.memorizer.url) {
    return {
      memorizer: perception!,
      fallback: null,
      focused: null,
      focusCost: null,
      description: `embedded perception memorizer (no memorizer.url: ${sight ? 'objects, people, ' : ''}text, speech, scene changes and pose only)`,
    };
  }
  const policy = PolicyMemorizer.fromConfig(config, { now, logger, env, sight });
  const fallback = config.memorizer.fallback ? perception : null;
  if (config.focus.depth < 2) {
    return {
      memorizer: policy,
      fallback,
      focused: null,
      focusCost: null,
      description: `policy ${config.memorizer.model} at ${config.memorizer.url}`,
    };
  }
  const judgeUrl = config.focus.judge_url || config.memorizer.url;
  const judgeModel = config.focus.judge_model || config.memorizer.model;
  const judge = new LlmPairwiseJudge({
    client: new OpenAI({ baseURL: judgeUrl, apiKey: env[config.memorizer.api_key_env] || 'none', maxRetries: 1 }),
    model: judgeModel,
    timeoutMs: config.memorizer.timeout_s * 1000,
  });
  const focused = new FocusedMemorizer({
    source: policy,
    store,
    judge,
    embedder: new LexicalEmbedder(),
    candidates: config.focus.candidates,
    maxJudgeCalls: config.focus.max_judge_calls,
    now,
    logger,
  });
  return {
    memorizer: focused,
    fallback,
    focused,
    focusCost: () => ({
      judge_calls: judge.cost.calls,
      judge_prompt_tokens: judge.cost.promptTokens,
      judge_completion_tokens: judge.cost.completionTokens,
      judged_segments: focused.stats.segments - focused.stats.rankedByVector,
      ranked_by_vector: focused.stats.rankedByVector,
      pairs_kept: focused.stats.pairsKept,
      trainings: focused.stats.trainings,
    }),
    description: `policy ${config.memorizer.model} at ${config.memorizer.url}, ${config.focus.candidates} candidates judged by ${judgeModel} at ${judgeUrl}`,
  };
}
