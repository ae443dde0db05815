import { z } from 'zod';
import { choice, string, double, integer } from '../param.js';

export const nodeParams = z.object({
  robot_id: string({
    default: 'robot',
    readOnly: true,
    description: 'Robot identity written into every memory id; keep it stable across restarts.',
  }),
  diagnostics_period_s: double({ default: 2, min: 0.1, max: 60, unit: 's', description: 'Period of the /diagnostics status message.' }),
  memories_depth: integer({
    default: 100,
    min: 1,
    max: 10000,
    readOnly: true,
    description: 'History depth of the reliable ~/memories publisher, so late joiners catch up.',
  }),
  marker_colours: choice({
    default: 'age',
    choices: ['age', 'task_group'] as const,
    readOnly: true,
    description:
      'How ~/memory_markers colours memories: by age (green when new, grey after a day) or by task group (one hue per group, white without).',
  }),
  model_reply_max_mb: double({
    default: 8,
    min: 0.1,
    max: 1024,
    readOnly: true,
    unit: 'MB',
    description:
      'Largest reply body read from any model endpoint (policy, judge, answerer, transcriber, embeddings, task classifier); a larger reply is abandoned unread, its connection closed, and counts as a failed request.',
  }),
});
