/**
 * `taskmem focus status|export|reset`: what task focus has learnt, the preference pairs for training the
 * paper's steer vector on a GPU server, and resetting a group's focus vector.
 */
import { exportPairs } from '../../focus/exportPairs.js';
import { consoleLogger } from '../../log.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { openMemoryStore } from '../../memory/openMemoryStore.js';
import { formatStamp } from '../../time.js';
import { commandArgs, consoleOutput } from '../commandArgs.js';

export const summary = 'task focus: status, export preference pairs (JSONL), reset a focus vector';

const USAGE = `usage: taskmem focus status [--robot <id>]
       taskmem focus export --out pairs.jsonl [--group <name>]
       taskmem focus reset --group <name>
       (each with [--params-file taskmem.yaml] [--<parameter> <value>]…; the store is store.*)

status   active task group, recent tasks per group, preference pairs and focus-vector versions per group
export   training-ready preference pairs for a white-box steer vector (the paper's Phase Two) on a GPU server:
         one JSON object per line, {"prompt" (chat messages), "images" (paths), "chosen", "rejected" (the whole
         completions, thinking included), "group", "examples", …}, the images written once into images/ beside
         the file (docs/focus.md)
reset    forget a group's focus vector: depth 3 goes back to the judge until it is retrained`;

export async function run(args: string[]): Promise<number> {
  const fromArgs = commandArgs(args, consoleOutput, { usage: USAGE, parse: (rest) => rest });
  if ('exit' in fromArgs) return fromArgs.exit;
  const { config, parsed: rest } = fromArgs;
  const [action, ...flags] = rest;
  const options = new Map<string, string>();
  for (let i = 0; i < flags.length; i += 2) {
    const key = flags[i]!;
    const value = flags[i + 1];
    if (!['--group', '--out', '--robot'].includes(key) || value === undefined) {
      console.error(`taskmem focus: unexpected ${JSON.stringify(key)}${value === undefined ? ' (needs a value)' : ''}\n\n${USAGE}`);
      return 2;
    }
    options.set(key.slice(2), value);
  }
  if (action !== 'status' && action !== 'export' && action !== 'reset') {
    console.error(USAGE);
    return 2;
  }
  if (action === 'export' && !options.has('out')) {
    console.error('taskmem focus export: where to? (--out pairs.jsonl; the images are written into images/ beside it)');
    return 2;
  }
  if (action === 'reset' && !options.has('group')) {
    console.error('taskmem focus reset: which group? (--group <name>)');
    return 2;
  }
  let store: MemoryStore;
  try {
    store = await openMemoryStore(config.store, consoleLogger);
  } catch (error) {
    console.error(`taskmem focus: cannot open the store: ${(error as Error).message}`);
    return 4;
  }
  try {
    if (action === 'status') await status(store, options.get('robot') ?? config.robot_id);
    else if (action === 'export') {
      const group = options.get('group');
      const out = options.get('out')!;
      const count = await exportPairs(store, out, group);
      console.error(
        `taskmem focus export: ${count.pairs} pairs${group ? ` of group "${group}"` : ''} written to ${out}, ${count.images} new images beside it` +
          (count.incomplete > 0 ? `; ${count.incomplete} pairs stored before requests and completions were kept are left out` : ''),
      );
    } else {
      const group = options.get('group')!;
      const before = await store.focusVector(group);
      await store.resetFocusVector(group);
      console.log(
        before ? `focus vector of "${group}" (v${before.version}, ${before.pairs} pairs) reset` : `group "${group}" had no focus vector`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function status(store: MemoryStore, robotId: string): Promise<void> {
  const tasks = await store.recentTasks(robotId, 200);
  const pairs = await store.preferences();
  const groups = [...new Set([...tasks.map((t) => t.group), ...pairs.map((p) => p.group)])].sort();
  if (groups.length === 0) {
    console.log(`no tasks logged for robot "${robotId}" and no preference pairs yet`);
    return;
  }
  const newest = [...tasks].sort((a, b) => (a.stamp < b.stamp ? 1 : -1))[0];
  if (newest) console.log(`last task: ${formatStamp(newest.stamp)} (${newest.group}) ${JSON.stringify(newest.text)}`);
  for (const group of groups) {
    const vector = await store.focusVector(group);
    const ofGroup = tasks.filter((t) => t.group === group);
    console.log(
      `${group}: ${ofGroup.length} recent tasks, ${pairs.filter((p) => p.group === group).length} preference pairs, ` +
        (vector ? `focus vector v${vector.version} (${vector.pairs} pairs, trained ${formatStamp(vector.trainedAt)})` : 'no focus vector'),
    );
  }
}
