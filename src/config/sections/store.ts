import { z } from 'zod';
import { bool, choice, string } from '../param.js';

export const storeParams = z.object({
  backend: choice({
    default: 'sqlite',
    choices: ['sqlite', 'postgres'],
    readOnly: true,
    description: 'Embedded SQLite file or a PostgreSQL server.',
  }),
  path: string({ default: '~/.ros/taskmem/memory.sqlite', readOnly: true, description: 'SQLite file (created with its folder).' }),
  url: string({ default: '', readOnly: true, unit: 'URL', description: 'PostgreSQL connection string; required with backend postgres.' }),
  thumbnails: bool({ default: false, readOnly: true, description: 'Keep keyframe thumbnails with each memory.' }),
  synchronous: choice({
    default: 'normal',
    choices: ['normal', 'full'],
    readOnly: true,
    description:
      'SQLite durability: normal survives a crash of the process (a power cut may lose the last commits, never corrupts); full syncs every memory to disk (slower).',
  }),
});
