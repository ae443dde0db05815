import { z } from 'zod';
import { string, double, integer } from '../param.js';

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
});
