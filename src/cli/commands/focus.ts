/**
 * `taskmem focus status|export|reset`: what task focus has learnt, the preference pairs for training the
 * paper's steer vector on a GPU server, and resetting a group's focus vector.
 */
import { dirname, join } from 'node:path';
import { openStore } from '../../assembly/openStore.js';
import { exportPairs, IMAGES_DIR } from '../../focus/exportPairs.js';
import { consoleLogger } from '../../log.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { formatStamp } from '../../time.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { commandArgs, consoleOutput } from '../commandArgs.js';
import { EXIT, exitCodeOf, runCommand, UsageError } from '../exitCodes.js';
import { outputFailure } from '../outputFailure.js';
import { writeWhole } from '../../writeWhole.js';

export const summary = 'task focus: status, export preference pairs (JSONL), reset a focus vector';

const USAGE = `usage: taskmem focus status [--robot <id>]
       taskmem focus export --out pairs.jsonl [--group <name>]
       taskmem focus reset --group <name>
       (each with [--params-file taskmem.yaml] [--<parameter> <value>]…; the store is store.*)

status   active task group, recent tasks per group, preference pairs and focus-vector versions per group
export   training-ready preference pairs for a white-box steer vector (the paper's Phase Two) on a GPU server:
         one JSON object per line, {"prompt" (chat messages), "images" (paths), "chosen", "rejected" (the whole
         completions, thinking included), "group", "examples", …}, the images written once into images/ beside
         the file (docs/focus.md); an --out that is the store, its -wal/-shm files or the params file, by any
         name, or a folder, is refused (exit 2)
reset    forget a group's focus vector: depth 3 goes back to the judge until it is retrained`;

export function run(args: string[]): Promise<number> {
  return runCommand('focus', consoleOutput, async () => {
    const fromArgs = commandArgs(args, consoleOutput, { usage: USAGE, hint: USAGE, parse: parseArgs });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed, outputs } = fromArgs;
    const out = parsed.options.get('out');
    if (parsed.action === 'export' && out !== undefined) {
      // Refused before anything is opened: the file and the images beside it never replace the store.
      parsed.options.set('out', outputs.file(out, '--out', 'pairs.jsonl'));
      outputs.folder(join(dirname(out), IMAGES_DIR), `--out ${out}: the images folder`);
    }
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
  if (action === 'export' && !options.has('out'))
    throw new UsageError('taskmem focus export: where to? (--out pairs.jsonl; the images are written into images/ beside it)');
  if (action === 'reset' && !options.has('group')) throw new UsageError('taskmem focus reset: which group? (--group <name>)');
  return { action, options };
}

async function act(store: MemoryStore, action: Action, options: Map<string, string>, robotId: string): Promise<void> {
  if (action === 'status') return status(store, options.get('robot') ?? robotId);
  if (action === 'export') {
    const group = options.get('group');
    const out = options.get('out')!;
    let count;
    try {
      // The images land beside the temporary file, which is beside `out`: their paths in it stay right.
      count = await writeWhole(out, (temporary) => exportPairs(store, temporary, group));
    } catch (error) {
      if (exitCodeOf(error) !== null) throw error;
      throw outputFailure(out, error);
    }
    consoleOutput.err(
      `taskmem focus export: ${count.pairs} pairs${group ? ` of group "${group}"` : ''} written to ${out}, ${count.images} new images beside it` +
        (count.incomplete > 0 ? `; ${count.incomplete} pairs stored before requests and completions were kept are left out` : ''),
    );
    return;
  }
  const group = options.get('group')!;
  const before = await store.focusVector(group);
  await store.resetFocusVector(group);
  consoleOutput.out(
    before ? `focus vector of "${group}" (v${before.version}, ${before.pairs} pairs) reset` : `group "${group}" had no focus vector`,
  );
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
