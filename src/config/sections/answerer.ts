import { z } from 'zod';
import { double, integer, string } from '../param.js';

export const answererParams = z.object({
  url: string({ default: '', unit: 'URL', description: 'OpenAI-compatible base URL of the answering model; empty: answers are the ranked evidence only.' }),
  model: string({ default: '', description: 'Served model name of the answerer.' }),
  api_key_env: string({ default: 'TASKMEM_API_KEY', description: 'Environment variable holding the answerer API key.' }),
  timeout_s: double({ default: 60, min: 1, max: 3600, unit: 's', description: 'Timeout of one answering request.' }),
  max_evidence: integer({ default: 12, min: 1, max: 200, description: 'Memories given to the answerer per search.' }),
  max_searches: integer({ default: 2, min: 0, max: 5, description: 'Further searches the answerer may ask for when the first is weak.' }),
});
