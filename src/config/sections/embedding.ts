import { z } from 'zod';
import { string } from '../param.js';

export const embeddingParams = z.object({
  url: string({ default: '', unit: 'URL', description: 'OpenAI-compatible base URL serving /embeddings; empty: no vector search unless onnx_path is set.' }),
  model: string({ default: '', description: 'Embedding model name.' }),
  onnx_path: string({ default: '', description: 'Local ONNX text-embedding model (onnxruntime-node) used instead of an endpoint.' }),
});
