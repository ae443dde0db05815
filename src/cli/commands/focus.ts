/**
 * `taskmem focus status|export|reset`: what task focus has learnt, the preference pairs for training the
 * paper's steer vector on a GPU server, and resetting a group's focus vector.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { consoleLogger } from '../../log.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { openMemoryStore } from '../../memory/openMemoryStore.js';
import { formatStamp } from '../../time.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { commandArgs, consoleOutput } from '../commandArgs.js';

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
      consoleOutput.err(`taskmem focus: unexpected ${JSON.stringify(key)}${value === undefined ? ' (needs a value)' : ''}\n\n${USAGE}`);
      return 2;
    }
    options.set(key.slice(2), value);
  }
  if (action !== 'status' && action !== 'export' && action !== 'reset') {
    consoleOutput.err(USAGE);
    return 2;
  }
  if (action === 'reset' && !options.has('group')) {
    consoleOutput.err('taskmem focus reset: which group? (--group <name>)');
    return 2;
  }
  let store: MemoryStore;
  try {
    store = await openMemoryStore(config.store, consoleLogger);
  } catch (error) {
    consoleOutput.err(`taskmem focus: cannot open the store: ${(error as Error).message}`);
    return 4;
  }
  try {
    if (action === 'status') await status(store, options.get('robot') ?? config.robot_id);
    else if (action === 'export') await exportPairs(store, options.get('group'), options.get('out'));
    else {
      const group = options.get('group')!;
      const before = await store.focusVector(group);
      await store.resetFocusVector(group);
      consoleOutput.out(
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
    consoleOutput.out(`no tasks logged for robot "${robotId}" and no preference pairs yet`);
    return;
  }
  const newest = [...tasks].sort((a, b) => (a.stamp < b.stamp ? 1 : -1))[0];
  if (newest)
    consoleOutput.out(
      `last task: ${formatStamp(newest.stamp)} (${terminalSafe(newest.group, { newlines: false })}) ${JSON.stringify(newest.text)}`,
    );
  for (const group of groups) {
    const vector = await store.focusVector(group);
    const ofGroup = tasks.filter((t) => t.group === group);
    consoleOutput.out(
      `${terminalSafe(group, { newlines: false })}: ${ofGroup.length} recent tasks, ${pairs.filter((p) => p.group === group).length} preference pairs, ` +
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
    // On a terminal the line is made terminal-safe; its escapes are JSON escapes, so it reads back the same.
    if (!sink.write(`${out ? line : terminalSafe(line)}\n`)) await once(sink, 'drain');
  }
  if (out) {
    (sink as ReturnType<typeof createWriteStream>).end();
    await once(sink, 'finish');
    consoleOutput.err(`taskmem focus export: ${pairs.length} pairs${group ? ` of group "${group}"` : ''} written to ${out}`);
  }
}
