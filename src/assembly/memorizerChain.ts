import type { Config } from '../config/schema.js';
import { ModelClient } from '../endpoint/ModelClient.js';
import { FocusedMemorizer } from '../focus/FocusedMemorizer.js';
import { LexicalEmbedder } from '../focus/LexicalEmbedder.js';
import { LlmPairwiseJudge } from '../focus/PairwiseJudge.js';
import type { Logger } from '../log.js';
import type { FocusRecords } from '../memory/FocusRecords.js';
import { redactCredentials } from '../text/redactCredentials.js';
import type { RosNanos } from '../time.js';
import type { Memorizer } from '../memorize/Memorizer.js';
import { PerceptionMemorizer } from '../memorize/PerceptionMemorizer.js';
import { PolicyMemorizer } from '../memorize/PolicyMemorizer.js';
import { loadMemorizeTemplates } from '../memorize/templatePrompt.js';
import type { SegmentSight } from '../people/SegmentSight.js';

/** What writes the memories of a pipeline, as the configuration describes it. */
export interface MemorizerChain {
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
 * The memorizer the configuration describes. No `memorizer.url`: the embedded perception memorizer writes every
 * memory. With a url: the policy, wrapped by the focused memorizer (candidates, pairwise judge, focus vector)
 * when focus.depth ≥ 2 — the wrapper itself falls through to the policy when the live depth is lower — and the
 * perception memorizer as fallback. `now` is the clock memories are written at. Both memorizers look at a segment
 * through the same `sight`, so a segment the policy could not write is not examined twice.
 */
export async function openMemorizerChain(
  config: Pick<Config, 'memorizer' | 'segment' | 'focus' | 'model_reply_max_mb'>,
  {
    store,
    now,
    logger,
    env,
    sight,
    onRequest,
  }: {
    store: FocusRecords;
    now: () => RosNanos;
    logger: Logger;
    env: NodeJS.ProcessEnv;
    /** What the keyframes show (objects, people), one for both memorizers; null: detection is off. */
    sight: SegmentSight | null;
    /** Sees each policy request as it is built (the benchmark measures its tokens). */
    onRequest?: Parameters<typeof PolicyMemorizer.fromConfig>[1]['onRequest'];
  },
): Promise<MemorizerChain> {
  const needsPerception = !config.memorizer.url || config.memorizer.fallback;
  const perception = needsPerception ? await PerceptionMemorizer.load({ now, sight, logger }) : null;
  if (!config.memorizer.url) {
    return {
      memorizer: perception!,
      fallback: null,
      focused: null,
      focusCost: null,
      description: `embedded perception memorizer (no memorizer.url: ${sight ? 'objects, people, ' : ''}text, speech, scene changes and pose only)`,
    };
  }
  const templates = await loadMemorizeTemplates(config.memorizer.prompt_file, config.memorizer.focus_prompt_file);
  const policy = PolicyMemorizer.fromConfig(config, { now, logger, env, templates, sight, ...(onRequest ? { onRequest } : {}) });
  const prompt = templates ? `, prompt ${config.memorizer.prompt_file}` : '';
  const fallback = config.memorizer.fallback ? perception : null;
  if (config.focus.depth < 2) {
    return {
      memorizer: policy,
      fallback,
      focused: null,
      focusCost: null,
      description: `policy ${config.memorizer.model} at ${redactCredentials(config.memorizer.url)}${prompt}`,
    };
  }
  const judgeUrl = config.focus.judge_url || config.memorizer.url;
  const judgeModel = config.focus.judge_model || config.memorizer.model;
  const judge = new LlmPairwiseJudge({
    client: new ModelClient({
      url: judgeUrl,
      apiKey: env[config.memorizer.api_key_env] || null,
      timeoutMs: config.memorizer.timeout_s * 1000,
      maxRetries: 1,
      maxReplyMb: config.model_reply_max_mb,
    }),
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
    description: redactCredentials(
      `policy ${config.memorizer.model} at ${config.memorizer.url}${prompt}, ${config.focus.candidates} candidates judged by ${judgeModel} at ${judgeUrl}`,
    ),
  };
}
