/**
 * `taskmem people list|show|name|forget`: the people the robot tells apart by face (person_1, person_2, …), kept in
 * the memory store; naming one, and forgetting one with every face embedding kept of them.
 */
import { openStore } from '../../assembly/openStore.js';
import { silentLogger } from '../../log.js';
import type { Identity, IdentityRecords } from '../../memory/IdentityRecords.js';
import { terminalSafe } from '../../text/terminalSafe.js';
import { formatStamp } from '../../time.js';
import { commandArgs, consoleOutput, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';

export const summary = 'people told apart by face: list, show, name, forget (with their face embeddings)';

const USAGE = `usage: taskmem people [list]
       taskmem people show <person_id>
       taskmem people name <person_id> <name>      (an empty name "" removes it)
       taskmem people forget <person_id>
       (each with [--params-file taskmem.yaml] [--<parameter> <value>]…; the store is store.*)

list     every person: id, name, first and last recognised, segments their face was described in, embeddings kept
show     one person and the memories they were recognised in, newest first
name     give a person a name; questions may then name them ("when did I last see Alice?")
forget   remove a person and every face embedding kept of them (biometric data): the bytes are erased from
         the store's files, not only unlisted. Their id is never given to anyone else; memories that name it
         stay (forget those with the Forget service). A face seen again later becomes a new person.

exit codes: 0 done; 2 bad arguments, configuration, or no such person; 4 store error`;

type Action = { kind: 'list' } | { kind: 'show' | 'forget'; id: string } | { kind: 'name'; id: string; name: string };

export function run(args: string[]): Promise<number> {
  return people(args, consoleOutput);
}

/** The command with its output passed in; returns the exit code. */
export function people(args: string[], io: CommandOutput): Promise<number> {
  return runCommand('people', io, async () => {
    const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem people --help` for the options', parse });
    if ('exit' in fromArgs) return fromArgs.exit;
    const { config, parsed: action } = fromArgs;
    const store = await openStore(config.store, { logger: silentLogger, mustExist: true });
    try {
      await perform(store, action, io);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  });
}

async function perform(store: IdentityRecords, action: Action, io: CommandOutput): Promise<void> {
  if (action.kind === 'list') {
    const all = await store.identities();
    if (all.length === 0) io.out('no people recognised yet');
    for (const person of all) io.out(describe(person));
    return;
  }
  const missing = () =>
    new UsageError(`taskmem people ${action.kind}: no person ${action.id} in the store (taskmem people list shows who is)`);
  if (action.kind === 'show') {
    const person = await store.identity(action.id);
    if (!person) throw missing();
    io.out(describe(person));
    const appearances = await store.appearances(action.id, { limit: 20 });
    if (appearances.length === 0) io.out('  in no stored memory');
    for (const a of appearances) io.out(`  ${formatStamp(a.start)}  ${terminalSafe(a.memoryId, { newlines: false })}`);
    return;
  }
  if (action.kind === 'name') {
    if (!(await store.nameIdentity(action.id, action.name === '' ? null : action.name))) throw missing();
    io.out(action.name === '' ? `${action.id} has no name now` : `${action.id} is now named ${quoted(action.name)}`);
    return;
  }
  const forgotten = await store.forgetIdentity(action.id);
  if (!forgotten) throw missing();
  const named = forgotten.identity.name ? ` (${quoted(forgotten.identity.name)})` : '';
  io.out(
    `forgot ${action.id}${named} and ${forgotten.embeddings} face embedding${forgotten.embeddings === 1 ? '' : 's'}` +
      (forgotten.erased
        ? '; the bytes are erased from the store'
        : '; another process holds the write-ahead log open, which keeps the old bytes until its next checkpoint'),
  );
}

function describe(p: Identity): string {
  return (
    `${p.id}${p.name ? ` ${quoted(p.name)}` : ''}: recognised from ${formatStamp(p.firstSeen)} to ${formatStamp(p.lastSeen)}, ` +
    `face described in ${p.sightings} segment${p.sightings === 1 ? '' : 's'}, ${p.embeddings} face embedding${p.embeddings === 1 ? '' : 's'} kept`
  );
}

/** A name as a user gave it, quoted and terminal-safe: a name is one line of text from whoever ran `people name`. */
function quoted(name: string): string {
  return terminalSafe(JSON.stringify(name));
}

function parse(rest: string[]): Action {
  const [verb = 'list', id, ...more] = rest;
  const extra = (allowed: number) => {
    if (more.length > allowed) throw new UsageError(`taskmem people ${verb}: unexpected ${JSON.stringify(more[allowed])}`);
  };
  const needId = () => {
    if (id === undefined) throw new UsageError(`taskmem people ${verb}: which person? (an id such as person_3)`);
    if (!/^person_[1-9]\d*$/.test(id)) throw new UsageError(`taskmem people ${verb}: ${JSON.stringify(id)} is not a person id (person_3)`);
    return id;
  };
  switch (verb) {
    case 'list':
      if (id !== undefined) throw new UsageError(`taskmem people list: unexpected ${JSON.stringify(id)}`);
      return { kind: 'list' };
    case 'show':
    case 'forget':
      extra(0);
      return { kind: verb, id: needId() };
    case 'name': {
      const person = needId();
      if (more[0] === undefined) throw new UsageError('taskmem people name: which name? (taskmem people name person_3 "Alice")');
      extra(1);
      return { kind: 'name', id: person, name: more[0].trim() };
    }
    default:
      throw new UsageError(`taskmem people: unknown action ${JSON.stringify(verb)} (list, show, name, forget)`);
  }
}
