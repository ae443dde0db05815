import { z } from 'zod';
import { bool, choice, double, integer, string } from '../param.js';

export const memorizerParams = z.object({
  url: string({
    default: '',
    unit: 'URL',
    description:
      'OpenAI-compatible base URL of the memorization policy (vLLM), e.g. http://gpu-box:8000/v1; empty: the embedded perception memorizer.',
  }),
  model: string({ default: 'taskmem-policy', description: 'Served model name of the policy.' }),
  api_key_env: string({ default: 'TASKMEM_API_KEY', description: 'Environment variable holding the API key (unset: no key).' }),
  timeout_s: double({ default: 120, min: 1, max: 3600, unit: 's', description: 'Timeout of one policy request.' }),
  retries: integer({
    default: 3,
    min: 0,
    max: 10,
    description: 'Further attempts after a failed or invalid reply, before the segment is recorded as failed.',
  }),
  retry_backoff_s: double({
    default: 1,
    min: 0,
    max: 60,
    unit: 's',
    description:
      'Wait before retrying after a transport failure (5xx, timeout, connection error); doubles with each further attempt. An invalid reply is retried at once.',
  }),
  json_schema: bool({
    default: false,
    description:
      'Constrain the policy reply to the output JSON schema (response_format json_schema). Only for servers that split off thinking themselves (vLLM --reasoning-parser); a thinking model cannot think under it otherwise.',
  }),
  prompt_file: string({
    default: '',
    readOnly: true,
    description:
      'A memorization prompt read from this file instead of the built-in one, with {frames}, {preceding}, {speech} and {focus} slots (docs/memorizer.md); empty: built-in.',
  }),
  focus_prompt_file: string({
    default: '',
    readOnly: true,
    description: 'The task-focus text that fills {focus} of memorizer.prompt_file, with an {examples} slot; empty: built-in.',
  }),
  temperature: double({ default: 0.6, min: 0, max: 2, description: 'Sampling temperature of the policy.' }),
  top_p: double({ default: 0.95, min: 0, max: 1, description: 'Nucleus sampling of the policy.' }),
  top_k: integer({ default: 20, min: -1, max: 1000, description: 'Top-k sampling of the policy (-1: off).' }),
  max_tokens: integer({ default: 8192, min: 64, max: 65536, description: 'Most tokens of one reply, thinking included.' }),
  queue_size: integer({
    default: 4,
    min: 1,
    max: 1000,
    description: 'Segments waiting for the policy at most; beyond it the drop policy applies.',
  }),
  drop_policy: choice({
    default: 'drop_oldest',
    choices: ['drop_oldest', 'drop_newest'],
    description: 'When the queue is full: drop the oldest waiting segment or the newest one.',
  }),
  fallback: bool({
    default: true,
    description: 'Write a perception memory when the policy is unreachable (marked, re-memorizable later).',
  }),
});
