import type { Memory } from '../../src/memory/Memory.js';
import { segmentIdentity } from '../../src/memory/segmentIdentity.js';
import type { MemorizeContext, MemorizeOutcome } from '../../src/memorize/Memorizer.js';
import type { Segment } from '../../src/segment/Segment.js';
import type { Candidate, CandidateBatch, CandidateSource } from '../../src/focus/FocusedMemorizer.js';
import type { PairwiseJudge, Verdict } from '../../src/focus/PairwiseJudge.js';
import { secondsToNanos } from '../../src/time.js';

/**
 * A scripted world for measuring task focus without a model: every segment holds known facts of several kinds,
 * a stand-in policy writes candidates that each mention a random subset of the facts under a fixed length
 * budget, and a stand-in judge prefers candidates with more facts of the task's kind (with some noise). Fully
 * deterministic for a seed.
 */

export const FACT_KINDS = ['colour', 'count', 'sign', 'speech', 'action'] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export interface Fact {
  kind: FactKind;
  /** The clause a memory mentions, e.g. "a teal mug stood on the counter". */
  clause: string;
  /** A held-out question about it and the word that answers it. */
  question: string;
  answer: string;
}

const COLOURS = ['teal', 'crimson', 'amber', 'violet', 'olive', 'scarlet', 'navy', 'ivory', 'coral', 'indigo'];
const OBJECTS = ['mug', 'backpack', 'umbrella', 'helmet', 'notebook', 'jacket', 'bottle', 'toolbox', 'lamp', 'basket'];
const NUMBERS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const COUNTABLES = ['chairs', 'boxes', 'pallets', 'carts', 'plants', 'monitors', 'crates', 'bins'];
const SIGNS = ['EXIT 12', 'DOCK B', 'ROOM 4', 'LAB 7', 'GATE 3', 'BAY 9', 'HALL C', 'WING 2'];
const SAYINGS = [
  'delivery arrives at noon',
  'the printer is jammed',
  'meeting moved to friday',
  'keys are in the drawer',
  'lunch is served downstairs',
  'the door code changed',
];
const ACTIONS = [
  'opened the fridge',
  'carried a ladder',
  'watered the plants',
  'locked the cabinet',
  'swept the floor',
  'charged a drill',
  'stacked the trays',
];
const PEOPLE = ['person_1', 'person_2', 'person_3', 'person_4'];

export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 0x100000000;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** Two facts of every kind for one segment. */
export function factsFor(random: Random): Fact[] {
  const facts: Fact[] = [];
  for (let i = 0; i < 2; i++) {
    const colour = random.pick(COLOURS);
    const object = random.pick(OBJECTS);
    facts.push({
      kind: 'colour',
      clause: `a ${colour} ${object} lay near the shelf`,
      question: `What colour was the ${object}?`,
      answer: colour,
    });
    const number = random.pick(NUMBERS);
    const countable = random.pick(COUNTABLES);
    facts.push({
      kind: 'count',
      clause: `${number} ${countable} stood in a row`,
      question: `How many ${countable} were in the row?`,
      answer: number,
    });
    const sign = random.pick(SIGNS);
    facts.push({ kind: 'sign', clause: `a sign read ${sign}`, question: 'What did the sign read?', answer: sign });
    const saying = random.pick(SAYINGS);
    const speaker = random.pick(PEOPLE);
    facts.push({ kind: 'speech', clause: `${speaker} said that the ${saying}`, question: `What did ${speaker} say?`, answer: saying });
    const action = random.pick(ACTIONS);
    const actor = random.pick(PEOPLE);
    facts.push({ kind: 'action', clause: `${actor} ${action}`, question: `What did ${actor} do?`, answer: action });
  }
  return facts;
}

/** The task a kind of fact stands for, as the robot would be asked. */
export function taskQuestion(kind: FactKind, random: Random): string {
  const facts = factsFor(random).filter((f) => f.kind === kind);
  return random.pick(facts).question;
}

export interface WorldSegment {
  segment: Segment;
  facts: Fact[];
}

export function worldSegment(index: number, random: Random, robotId = 'sim'): WorldSegment {
  const start = secondsToNanos(1_000 + index * 10);
  return {
    segment: {
      robotId,
      episode: 0,
      index,
      start,
      end: start + secondsToNanos(10),
      keyframes: [],
      speech: [],
      transcript: [],
      poses: [],
      dropped: {},
    },
    facts: factsFor(random),
  };
}

export interface SimulatedPolicyOptions {
  random: Random;
  /** Facts each candidate can mention (the length budget). */
  budget: number;
  /** How much more likely a fact of the named task kind is picked when the prompt names recent tasks (depth ≥ 1). */
  conditioningWeight: number;
}

/**
 * The stand-in policy. It knows the facts of the segment it is shown (the caller registers them) and writes
 * each candidate as `budget` facts picked at random; when the prompt names recent tasks of a kind, facts of that
 * kind are `conditioningWeight` times as likely to be picked, as conditioning nudges a real policy.
 */
export class SimulatedPolicy implements CandidateSource {
  readonly name = 'simulated-policy';
  readonly #options: SimulatedPolicyOptions;
  readonly #facts = new Map<bigint, Fact[]>();
  requests = 0;

  constructor(options: SimulatedPolicyOptions) {
    this.#options = options;
  }

  show(world: WorldSegment): void {
    this.#facts.set(world.segment.start, world.facts);
  }

  async memorize(segment: Segment, context: MemorizeContext): Promise<MemorizeOutcome> {
    const batch = await this.sampleCandidates(segment, context, 1);
    if ('failure' in batch) return { kind: 'failed', failure: batch.failure };
    return {
      kind: 'memory',
      memory: { ...batch.candidates[0]!.memory!, focusDepth: context.focus?.depth ?? 0, taskGroup: context.focus?.group ?? null },
    };
  }

  async sampleCandidates(segment: Segment, context: MemorizeContext, n: number): Promise<CandidateBatch> {
    this.requests++;
    const facts = this.#facts.get(segment.start);
    if (!facts) throw new Error(`SimulatedPolicy: segment ${segment.start} was not shown`);
    const kind = context.focus ? kindOfTasks(context.focus.examples) : null;
    const candidates: Candidate[] = [];
    for (let c = 0; c < n; c++) {
      const chosen = this.#pickFacts(facts, kind);
      const text = capitalise(chosen.map((f) => f.clause).join('; ')) + '.';
      candidates.push({
        text,
        completion: `<think>Picking facts.</think>${JSON.stringify({ description: text })}`,
        passed: true,
        reasons: [],
        descriptionTokens: Math.ceil(text.length / 4),
        memory: memoryFor(segment, text),
      });
    }
    const prompt = `segment ${segment.index}; tasks: ${context.focus?.examples.join(' | ') ?? 'none'}`;
    return { candidates, prompt, messages: [{ role: 'user', content: prompt }] };
  }

  #pickFacts(facts: Fact[], kind: FactKind | null): Fact[] {
    const pool = [...facts];
    const picked: Fact[] = [];
    while (picked.length < this.#options.budget && pool.length > 0) {
      const weights = pool.map((f) => (f.kind === kind ? this.#options.conditioningWeight : 1));
      let r = this.#options.random.next() * weights.reduce((a, b) => a + b, 0);
      let index = 0;
      while (r >= weights[index]!) r -= weights[index++]!;
      picked.push(pool.splice(index, 1)[0]!);
    }
    return picked;
  }
}

/** The stand-in reward model: prefers the description with more facts of the task kind; `noise` of verdicts are random. */
export class SimulatedJudge implements PairwiseJudge {
  calls = 0;
  readonly #random: Random;
  readonly #noise: number;

  constructor(random: Random, noise: number) {
    this.#random = random;
    this.#noise = noise;
  }

  async compare(first: string, second: string, examples: string[]): Promise<Verdict> {
    this.calls++;
    if (this.#random.next() < this.#noise) return this.#random.pick(['first', 'second', 'tie'] as const);
    const kind = kindOfTasks(examples);
    if (!kind) return 'tie';
    const a = factsOfKindIn(first, kind);
    const b = factsOfKindIn(second, kind);
    return a > b ? 'first' : b > a ? 'second' : 'tie';
  }
}

/** Which kind of fact a list of task questions asks about. */
export function kindOfTasks(examples: string[]): FactKind | null {
  const last = examples.at(-1);
  if (!last) return null;
  if (last.startsWith('What colour')) return 'colour';
  if (last.startsWith('How many')) return 'count';
  if (last.startsWith('What did the sign')) return 'sign';
  if (/^What did person_\d say/.test(last)) return 'speech';
  if (/^What did person_\d do/.test(last)) return 'action';
  return null;
}

const KIND_PATTERNS: Record<FactKind, RegExp> = {
  colour: /lay near the shelf/g,
  count: /stood in a row/g,
  sign: /a sign read/g,
  speech: /said that/g,
  action: new RegExp(`person_\\d (${ACTIONS.join('|')})`, 'g'),
};

export function factsOfKindIn(text: string, kind: FactKind): number {
  return (text.match(KIND_PATTERNS[kind]) ?? []).length;
}

function memoryFor(segment: Segment, text: string): Memory {
  return {
    ...segmentIdentity(segment),
    createdAt: segment.end,
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: true, preference: null, descriptionTokens: Math.ceil(text.length / 4) },
    pose: null,
    model: 'simulated-policy',
    template: 'simulated@1',
    transcript: [],
    people: [],
    thumbnails: [],
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
