import OpenAI from 'openai';
import type { Config } from '../config/schema.js';
import type { EmbeddingSource } from './EmbeddingSource.js';
import { OnnxEmbeddingSource } from './OnnxEmbeddingSource.js';
import { OpenAIEmbeddingSource } from './OpenAIEmbeddingSource.js';

/** The configured embedding source: the local ONNX model when `onnx_path` is set, else the endpoint, else none. */
export async function openEmbeddingSource(
  config: Config['embedding'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<EmbeddingSource | null> {
  if (config.onnx_path) return OnnxEmbeddingSource.load({ path: config.onnx_path, maxTokens: config.max_tokens });
  if (!config.url) return null;
  const client = new OpenAI({ baseURL: config.url, apiKey: env[config.api_key_env] || 'none', maxRetries: 2, timeout: 30_000 });
  return new OpenAIEmbeddingSource({ client, model: config.model });
}
