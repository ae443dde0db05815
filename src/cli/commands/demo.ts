/**
 * `taskmem demo` (`npm run demo`): taskmem's whole job on a scripted scene in a fresh folder — a recording is
 * written, memorized, questioned, and shown as a timeline page.
 */
import { relative } from 'node:path';
import { DEMO_FILES, runDemo, type DemoResult } from '../../demo/Demo.js';
import { consoleLogger, type Logger } from '../../log.js';
import { commandArgs, consoleOutput, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';
import { outputFailureIn } from '../outputFailure.js';

export const summary = 'memorize a scripted scene, ask it questions and write its timeline (no GPU or server needed)';

const USAGE = `usage: taskmem demo [--out <folder>] [--params-file taskmem.yaml] [--<parameter> <value>]…

In a fresh folder (default ./taskmem-demo, removed and recreated on every run: a folder that holds anything but an
earlier demo's files, or the store or params file, is refused), the demo
  1. writes a 60 s rosbag2 MCAP recording of a scripted scene (tour.mcap): a robot driving a circle past signs
     (KITCHEN, a box labelled SPARE BATTERIES, EXIT 12, LAB 3, CHARGING DOCK) while three sentences are spoken
     (espeak-ng and sox; without them the recording has no speech),
  2. memorizes it through the ingest pipeline into memory.sqlite (thumbnails kept): without memorizer.url by the
     embedded perception memorizer (text read in the frames, speech, scene changes, pose); with memorizer.url by
     that policy model (the perception memorizer stands in when it is unreachable and memorizer.fallback is on),
  3. asks questions at the end of the recording, from memory alone, logged as the robot's tasks with their
     answers (answerer.url answers them; without it the answer is the memories that match best),
  4. writes timeline.html.
Sensor topics, robot and store parameters are set by the demo; the memorizer, answerer, embedding and focus
parameters are yours.

  --out <folder>   the demo folder (default taskmem-demo)

exit codes: 0 done; 2 bad arguments or configuration, or an --out folder the demo may not empty; 3 the policy
            endpoint is unreachable and there is no fallback`;

export function run(args: string[]): Promise<number> {
  return demo(args, consoleOutput);
}

/** The command with its output passed in; `logger` takes the stages' warnings. Returns the exit code. */
export function demo(args: string[], io: CommandOutput, logger: Logger = { ...consoleLogger, info: () => {} }): Promise<number> {
  return runCommand('demo', io, async () => {
    const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem demo --help` for the options', parse: outFolder });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed, outputs } = fromArgs;
    // The folder is emptied: only one that is new, empty or an earlier demo's, holding nothing it must keep.
    const out = outputs.folder(parsed, '--out', { replaces: { own: DEMO_FILES } });
    const began = Date.now();
    let result: DemoResult;
    try {
      result = await runDemo({ out, config, print: (text) => io.out(text), logger });
    } catch (error) {
      // A full disk while the recording or the page is written is the folder's problem, not a bug.
      throw outputFailureIn(out, error) ?? error;
    }
    printNext(io, result, began);
    return EXIT.ok;
  });
}

/** What the demo made and what to try next. */
function printNext(io: CommandOutput, result: DemoResult, began: number): void {
  // From a clone the command runs from source; installed, it is on the PATH.
  const taskmem = import.meta.url.endsWith('.ts') ? 'npx tsx src/cli/main.ts' : 'taskmem';
  const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path) || '.');
  const store = shown(result.storePath);
  io.out(
    [
      '',
      `Done in ${((Date.now() - began) / 1000).toFixed(1)} s. Memories written by ${result.memorizedBy}.`,
      `  timeline:  ${shown(result.timeline)}  (open it in a browser)`,
      `  store:     ${store}`,
      `  recording: ${shown(result.recording)}  (its parameters: ${shown(result.paramsFile)})`,
      '',
      'Try next:',
      `  ${taskmem} ask --store.path ${store} "What did the sign on the box say?"`,
      `  ${taskmem} report --store.path ${store} --out my-timeline.html`,
      `  ${taskmem} people list --store.path ${store}      (and people name person_1 "Eileen", people forget person_1)`,
      ...(result.config.memorizer.url
        ? []
        : [
            '  npm run demo -- --memorizer.url http://localhost:8000/v1 --memorizer.model <served model>   (the same tour, memorized by a policy model)',
            `  ${taskmem} remember --again --recording ${shown(result.recording)} --params-file ${shown(result.paramsFile)} --memorizer.url http://localhost:8000/v1 --memorizer.model <served model>`,
            '      (the policy rewrites these perception memories, keeping their ids)',
          ]),
    ].join('\n'),
  );
}

/** --out <folder>, the command's only own argument. */
function outFolder(rest: string[]): string {
  let out = 'taskmem-demo';
  for (let i = 0; i < rest.length; i++) {
    const match = /^--out(?:=(.*))?$/s.exec(rest[i]!);
    if (!match) throw new UsageError(`taskmem demo: unknown option ${rest[i]}`);
    const value = match[1] ?? rest[++i];
    if (!value) throw new UsageError('taskmem demo: --out needs a folder');
    out = value;
  }
  return out;
}
