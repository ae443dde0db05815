/**
 * `taskmem focus status|export|reset`: what task focus has learnt, the preference pairs for training the
 * paper's steer vector on a GPU server, and resetting a group's focus vector.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { openStore } from '../../assembly/openStore.js';
import { consoleLogger } from '../../log.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { formatStamp } from '../../time.js';
import { commandArgs, consoleOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';

export const summary = 'task focus: status, export preference pairs (JSONL), reset a focus vector';

const USAGE = `usage: taskmem focus status [--robot <id>]
       taskmem focus export [--group <name>] [--out pairs.jsonl]
       taskmem focus reset --group <name>
       (each with [--params-file taskmem.yaml] [--<parameter> <value>]…; the store is store.*)

status   active task group, recent tasks per group, preference pairs and focus-vector versions per group
export   one JSON object per line: {"group", "examples", "prompt", "chosen", "rejected", "segment_id", "created_at"},
         the input for DPO training of a white-box steer vector (the paper's Phase Two) on a GPU server;
         to standard output unless --out is given
reset    forget a group's focus vector: depth 3 goes back to the judge until it is retrained`;

export function run(args: string[]): Promise<number> {
  return runCommand('focus', consoleOutput, async () => {
    const fromArgs = commandArgs(args, consoleOutput, { usage: USAGE, hint: USAGE, parse: parseArgs });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed } = fromArgs;
    const store = await openStore(config.store, { logger: consoleLogger });
    try {
      await act(store, parsed.action, parsed.options, config.robot_id);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  });
}

type Action = 'status' | 'export' | 'reset';

/** The action and its options (--group, --out, --robot). */
function parseArgs(rest: string[]): { action: Action; options: Map<string, string> } {
  const [action, ...flags] = rest;
  const options = new Map<string, string>();
  for (let i = 0; i < flags.length; i += 2) {
    const key = flags[i]!;
    const value = flags[i + 1];
    if (!['--group', '--out', '--robot'].includes(key) || value === undefined)
      throw new UsageError(`taskmem focus: unexpected ${JSON.stringify(key)}${value === undefined ? ' (needs a value)' : ''}`);
    options.set(key.slice(2), value);
  }
  if (action !== 'status' && action !== 'export' && action !== 'reset')
    throw new UsageError(
      action === undefined ? 'taskmem focus: which action? status, export or reset' : `taskmem focus: unknown action ${action}`,
    );
  if (action === 'reset' && !options.has('group')) throw new UsageError('taskmem focus reset: which group? (--group <name>)');
  return { action, options };
}

async function act(store: MemoryStore, action: Action, options: Map<string, string>, robotId: string): Promise<void> {
  if (action === 'status') return status(store, options.get('robot') ?? robotId);
  if (action === 'export') return exportPairs(store, options.get('group'), options.get('out'));
  const group = options.get('group')!;
  const before = await store.focusVector(group);
  await store.resetFocusVector(group);
  console.log(
    before ? `focus vector of "${group}" (v${before.version}, ${before.pairs} pairs) reset` : `group "${group}" had no focus vector`,
  );
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

async function exportPairs(store: MemoryStore, group: string | undefined, out: string | undefined): Promise<void> {
  const pairs = await store.preferences(group);
  const sink = out ? createWriteStream(out) : process.stdout;
  for (const pair of pairs) {
    const line = JSON.stringify({
      group: pair.group,
      examples: pair.examples,
      prompt: pair.prompt,
      chosen: pair.chosen,
      rejected: pair.rejected,
      segment_id: pair.segmentId,
      created_at: pair.createdAt.toString(),
    });
    if (!sink.write(line + '\n')) await once(sink, 'drain');
  }
  if (out) {
    (sink as ReturnType<typeof createWriteStream>).end();
    await once(sink, 'finish');
    console.error(`taskmem focus export: ${pairs.length} pairs${group ? ` of group "${group}"` : ''} written to ${out}`);
  }
}
