import type { Config } from '../config/schema.js';
import { ModelClient } from '../endpoint/ModelClient.js';
import type { EmbeddingSource } from './EmbeddingSource.js';
import { OnnxEmbeddingSource } from './OnnxEmbeddingSource.js';
import { OpenAIEmbeddingSource } from './OpenAIEmbeddingSource.js';

/** The configured embedding source: the local ONNX model when `onnx_path` is set, else the endpoint, else none. */
export async function openEmbeddingSource(
  { embedding: config, model_reply_max_mb }: Pick<Config, 'embedding' | 'model_reply_max_mb'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EmbeddingSource | null> {
  if (config.onnx_path) return OnnxEmbeddingSource.load({ path: config.onnx_path, maxTokens: config.max_tokens });
  if (!config.url) return null;
  const client = new ModelClient({
    url: config.url,
    apiKey: env[config.api_key_env] || null,
    timeoutMs: 30_000,
    maxRetries: 2,
    maxReplyMb: model_reply_max_mb,
  });
  return new OpenAIEmbeddingSource({ client, model: config.model });
}
