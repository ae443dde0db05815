import { z } from 'zod';
import { integer, string } from '../param.js';

export const embeddingParams = z.object({
  url: string({
    default: '',
    unit: 'URL',
    description: 'OpenAI-compatible base URL serving /embeddings; empty: no vector search unless onnx_path is set.',
  }),
  model: string({ default: '', description: 'Embedding model name.' }),
  onnx_path: string({ default: '', description: 'Local ONNX text-embedding model (onnxruntime-node) used instead of an endpoint.' }),
  api_key_env: string({
    default: 'TASKMEM_API_KEY',
    description: 'Environment variable holding the embedding endpoint API key (unset: no key).',
  }),
  max_tokens: integer({
    default: 256,
    min: 8,
    max: 8192,
    description: 'Longest text the ONNX model is given, in word pieces; longer text is cut.',
  }),
});
