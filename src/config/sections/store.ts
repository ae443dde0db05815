import { z } from 'zod';
import { bool, choice, double, string, type ValueRule } from '../param.js';

/**
 * A store that saves nothing is never what a user wants: SQLite would take an empty path for a temporary file and
 * `:memory:` for memory, both gone when the process ends, while every command reports memories stored.
 */
const STORE_FILE: ValueRule<string> = {
  form: 'a file path (not empty, not :memory:, not a folder)',
  problem: (path) =>
    path.trim() === ''
      ? 'is empty, which would keep the memories in a temporary file deleted at exit; give a file, e.g. ~/.ros/taskmem/memory.sqlite'
      : path.trim() === ':memory:'
        ? 'would keep the memories in memory only, lost when the process ends; give a file, e.g. ~/.ros/taskmem/memory.sqlite'
        : path.endsWith('/')
          ? `names a folder; give a file in it, e.g. ${path}memory.sqlite`
          : null,
};

export const storeParams = z.object({
  backend: choice({
    default: 'sqlite',
    choices: ['sqlite', 'postgres'],
    readOnly: true,
    description: 'Embedded SQLite file or a PostgreSQL server.',
  }),
  path: string({
    default: '~/.ros/taskmem/memory.sqlite',
    readOnly: true,
    description: 'SQLite file (created with its folder).',
    rule: STORE_FILE,
  }),
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
