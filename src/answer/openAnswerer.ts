import type { Config } from '../config/schema.js';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { ModelClient } from '../endpoint/ModelClient.js';
import type { Logger } from '../log.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import { checkTimeZone } from './LocalTime.js';
import { Answerer } from './Answerer.js';
import { OpenAIAnswerModel } from './AnswerModel.js';

/** The answerer the configuration describes: its own endpoint and model (none when `answerer.url` is empty). */
export function openAnswerer(
  { answerer: config, model_reply_max_mb }: Pick<Config, 'answerer' | 'model_reply_max_mb'>,
  store: MemoryStore,
  embedder: EmbeddingSource | null,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Answerer {
  try {
    checkTimeZone(config.time_zone);
  } catch (error) {
    throw new Error(`parameter answerer.time_zone: ${(error as Error).message}`, { cause: error });
  }
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
