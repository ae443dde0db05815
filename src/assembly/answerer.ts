import type { Config } from '../config/schema.js';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { ModelClient } from '../endpoint/ModelClient.js';
import type { Logger } from '../log.js';
import type { IdentityRecords } from '../memory/IdentityRecords.js';
import type { MemoryRecords } from '../memory/MemoryRecords.js';
import { Answerer } from '../answer/Answerer.js';
import { OpenAIAnswerModel } from '../answer/AnswerModel.js';

/**
 * The answerer the configuration describes: its own endpoint and model (none when `answerer.url` is empty), and
 * vector search when an embedding source is open.
 */
export function openAnswerer(
  { answerer: config, model_reply_max_mb }: Pick<Config, 'answerer' | 'model_reply_max_mb'>,
  {
    store,
    embedder,
    logger,
    env,
  }: { store: MemoryRecords & IdentityRecords; embedder: EmbeddingSource | null; logger: Logger; env: NodeJS.ProcessEnv },
): Answerer {
  const model = config.url
    ? new OpenAIAnswerModel({
        client: new ModelClient({
          url: config.url,
          apiKey: env[config.api_key_env] || null,
          timeoutMs: config.timeout_s * 1000,
          maxRetries: 2,
          maxReplyMb: model_reply_max_mb,
        }),
        model: config.model,
        temperature: config.temperature,
        maxTokens: config.max_tokens,
      })
    : null;
  return new Answerer({
    store,
    model,
    embedder,
    timeZone: config.time_zone,
    maxEvidence: config.max_evidence,
    maxSearches: config.max_searches,
    logger,
  });
}
