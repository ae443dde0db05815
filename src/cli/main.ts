#!/usr/bin/env node
/**
 * The `taskmem` command. Each subcommand lives in ./commands/<name>.ts and exports
 * `run(args: string[]): Promise<number>` (the exit code) and `summary: string`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { terminalSafe } from '../text/terminalSafe.js';

interface Command {
  run(args: string[]): Promise<number>;
  summary: string;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith(extension) && !f.endsWith(`.test${extension}`) && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -extension.length))
    .sort();
}

async function load(name: string): Promise<Command> {
  return (await import(pathToFileURL(join(commandsDir, name + extension)).href)) as Command;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const names = commandNames();
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log('usage: taskmem <command> [options]\n\ncommands:');
    for (const n of names) console.log(`  ${n.padEnd(10)} ${(await load(n)).summary}`);
    console.log('\nrun `taskmem <command> --help` for its options');
    return name === undefined ? 2 : 0;
  }
  if (!names.includes(name)) {
    console.error(`taskmem: unknown command "${terminalSafe(name)}" (commands: ${names.join(', ')})`);
    return 2;
  }
  return (await load(name)).run(args);
}

process.exitCode = await main(process.argv.slice(2));
