import { z } from 'zod';
import { bool, choice, double, string } from '../param.js';

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
  connect_timeout_s: double({
    default: 10,
    min: 0.5,
    max: 600,
    unit: 's',
    readOnly: true,
    description: 'PostgreSQL: longest wait for a connection to the server; then the call fails with a store error (exit 4).',
  }),
  query_timeout_s: double({
    default: 30,
    min: 0.5,
    max: 3600,
    unit: 's',
    readOnly: true,
    description:
      'PostgreSQL: longest a statement may run (the server cancels it) or wait for an answer (a server that stops answering); then the call fails with a store error (exit 4). Migrations are not bounded.',
  }),
  lease_s: double({
    default: 30,
    min: 2,
    max: 3600,
    unit: 's',
    readOnly: true,
    description:
      "How long a writer's claim on its episodes lasts without renewal (renewed every third of it): a second writer of the same recording is refused while it lasts, unless the holder is a dead process of this host.",
  }),
});
