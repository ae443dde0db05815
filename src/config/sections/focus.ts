import { z } from 'zod';
import { choice, integer, string, stringArray } from '../param.js';

export const focusParams = z.object({
  depth: integer({
    default: 1,
    min: 0,
    max: 3,
    description:
      '0 off; 1 recent tasks named in the prompt; 2 plus candidates judged by a reward model; 3 plus a learned focus vector ranks candidates.',
  }),
  switch_after: integer({ default: 3, min: 1, max: 100, description: 'Tasks of a new group after which it becomes the active group.' }),
  max_examples: integer({
    default: 5,
    min: 1,
    max: 20,
    description: 'Recent tasks of the active group shown to the policy and the judge.',
  }),
  candidates: integer({ default: 4, min: 1, max: 16, description: 'Candidate memories sampled per segment at depth 2 and 3.' }),
  judge_url: string({
    default: '',
    unit: 'URL',
    description: 'OpenAI-compatible base URL of the pairwise judge; empty: the memorizer endpoint.',
  }),
  judge_model: string({ default: '', description: 'Judge model name; empty: the memorizer model.' }),
  max_judge_calls: integer({ default: 12, min: 0, max: 200, description: 'Judge requests per segment at most.' }),
  grouping: choice({
    default: 'given',
    choices: ['given', 'classifier', 'embedding'],
    description:
      'How a task without a group gets one: only the goal\'s group (else "general"), a classifier prompt (needs answerer.url or memorizer.url), or embedding similarity (needs embedding.url or embedding.onnx_path).',
  }),
  adapters: stringArray({
    default: [],
    rule: {
      form: 'of the form group=served_model',
      problem: (entry) => (parseAdapter(entry) ? null : `entry ${JSON.stringify(entry)} is not of the form group=served_model`),
    },
    description: 'The policy model (a served adapter) used while a task group is active, as group=served_model.',
  }),
});

/**
 * One focus.adapters entry, `group=served_model` (spaces around `=` allowed), or null when it is not of that form.
 * Group names may hold spaces (Video-MME's question types do); served model names may not.
 */
export function parseAdapter(entry: string): { group: string; model: string } | null {
  const match = /^\s*([^=]*[^=\s])\s*=\s*(\S+)\s*$/.exec(entry);
  return match ? { group: match[1]!, model: match[2]! } : null;
}
