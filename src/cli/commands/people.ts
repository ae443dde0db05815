/**
 * `taskmem people list|show|name|forget`: the people the robot tells apart by face (person_1, person_2, …), kept in
 * the memory store; naming one, and forgetting one with every face embedding kept of them.
 */
import { silentLogger } from '../../log.js';
import type { Identity } from '../../memory/IdentityStore.js';
import type { MemoryStore } from '../../memory/MemoryStore.js';
import { openMemoryStore } from '../../memory/openMemoryStore.js';
import { formatStamp } from '../../time.js';
import { commandArgs, consoleOutput, UsageError, type CommandOutput } from '../commandArgs.js';

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
         the store's file, not only unlisted. Their id is never given to anyone else; memories that name it
         stay (forget those with the Forget service). A face seen again later becomes a new person.

exit codes: 0 done; 1 no such person; 2 bad arguments; 4 store error`;

type Action = { kind: 'list' } | { kind: 'show' | 'forget'; id: string } | { kind: 'name'; id: string; name: string };

export async function run(args: string[], io: CommandOutput = consoleOutput): Promise<number> {
  const fromArgs = commandArgs(args, io, { usage: USAGE, hint: 'run `taskmem people --help` for the options', parse });
  if ('exit' in fromArgs) return fromArgs.exit;
  const { config, parsed: action } = fromArgs;
  let store: MemoryStore;
  try {
    store = await openMemoryStore(config.store, silentLogger);
  } catch (error) {
    io.err(`taskmem people: cannot open the store: ${(error as Error).message}`);
    return 4;
  }
  try {
    return await perform(store, action, io);
  } finally {
    await store.close();
  }
}

async function perform(store: MemoryStore, action: Action, io: CommandOutput): Promise<number> {
  const people = store.identities;
  if (action.kind === 'list') {
    const all = await people.list();
    if (all.length === 0) io.out('no people recognised yet');
    for (const person of all) io.out(describe(person));
    return 0;
  }
  const missing = () => {
    io.err(`taskmem people: no person ${action.id} in the store`);
    return 1;
  };
  if (action.kind === 'show') {
    const person = await people.get(action.id);
    if (!person) return missing();
    io.out(describe(person));
    const appearances = await people.appearances(action.id, { limit: 20 });
    if (appearances.length === 0) io.out('  in no stored memory');
    for (const a of appearances) io.out(`  ${formatStamp(a.start)}  ${a.memoryId}`);
    return 0;
  }
  if (action.kind === 'name') {
    if (!(await people.name(action.id, action.name === '' ? null : action.name))) return missing();
    io.out(action.name === '' ? `${action.id} has no name now` : `${action.id} is now named "${action.name}"`);
    return 0;
  }
  const forgotten = await people.forget(action.id);
  if (!forgotten) return missing();
  const named = forgotten.identity.name ? ` ("${forgotten.identity.name}")` : '';
  io.out(
    `forgot ${action.id}${named} and ${forgotten.embeddings} face embedding${forgotten.embeddings === 1 ? '' : 's'}` +
      (forgotten.erased
        ? '; the bytes are erased from the store'
        : '; another process holds the write-ahead log open, which keeps the old bytes until its next checkpoint'),
  );
  return 0;
}

function describe(p: Identity): string {
  return (
    `${p.id}${p.name ? ` "${p.name}"` : ''}: recognised from ${formatStamp(p.firstSeen)} to ${formatStamp(p.lastSeen)}, ` +
    `face described in ${p.sightings} segment${p.sightings === 1 ? '' : 's'}, ${p.embeddings} face embedding${p.embeddings === 1 ? '' : 's'} kept`
  );
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
