import { z } from 'zod';
import { double, integer, string } from '../param.js';

export const answererParams = z.object({
  url: string({
    default: '',
    unit: 'URL',
    description: 'OpenAI-compatible base URL of the answering model; empty: answers are the ranked evidence only.',
  }),
  model: string({ default: '', description: 'Served model name of the answerer.' }),
  api_key_env: string({ default: 'TASKMEM_API_KEY', description: 'Environment variable holding the answerer API key.' }),
  timeout_s: double({ default: 60, min: 1, max: 3600, unit: 's', description: 'Timeout of one answering request.' }),
  max_evidence: integer({ default: 12, min: 1, max: 200, description: 'Memories given to the answerer per search.' }),
  time_zone: string({
    default: 'UTC',
    rule: {
      form: 'an IANA time zone name, e.g. UTC or Europe/Berlin',
      problem: (zone) => (isTimeZone(zone) ? null : `"${zone}" is not an IANA time zone name (e.g. UTC, Europe/Berlin)`),
    },
    description: 'Time zone in which questions\' local times ("this morning", "3 pm") are read and times are shown.',
  }),
  temperature: double({ default: 0, min: 0, max: 2, description: 'Sampling temperature of the answerer.' }),
  max_tokens: integer({ default: 4096, min: 16, max: 65536, description: 'Most tokens of one answering reply, thinking included.' }),
  max_searches: integer({ default: 2, min: 0, max: 5, description: 'Further searches the answerer may ask for when the first is weak.' }),
});

/** Whether Intl, which reads and shows the answerer's local times, knows the zone. */
function isTimeZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
