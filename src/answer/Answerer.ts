import { randomUUID } from 'node:crypto';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { silentLogger, type Logger } from '../log.js';
import type { IdentityRecords } from '../memory/IdentityRecords.js';
import type { MemoryEmbedding, MemoryRecords, RecallQuery, ScoredMemory } from '../memory/MemoryRecords.js';
import { RRF_K } from '../memory/fuseRankings.js';
import { searchTerms } from '../memory/searchTerms.js';
import type { RosNanos } from '../time.js';
import type { Answer, AskFeedback, Evidence, Search } from './Answer.js';
import type { AnswerModel, ChatMessage } from './AnswerModel.js';
import { buildAnswerPrompt, optionLetters } from './AnswerPrompt.js';
import { formatLocal } from './LocalTime.js';
import { parseAnswerReply, type AnswerReply } from './AnswerReply.js';
import { TimeExpressions, type TimeBounds } from './TimeExpressions.js';

export interface AnswererOptions {
  /** The memories, and the people, whose ids or given names a question may use. */
  store: MemoryRecords & IdentityRecords;
  /** The answering model; null: an answer is the ranked evidence alone and says no model answered. */
  model: AnswerModel | null;
  /** Vectors for hybrid retrieval; null: full-text plus time only (and the answer says so). */
  embedder: EmbeddingSource | null;
  /** IANA zone in which "this morning", "3 pm" and the times shown to the model are read. */
  timeZone?: string;
  /** Memories retrieved per search. */
  maxEvidence?: number;
  /** Further searches after the first (the answerer's own broadening and those the model asks for). */
  maxSearches?: number;
  logger?: Logger;
}

/** Filters of one question besides time; all optional. */
export interface AskFilters {
  robotId?: string;
  episode?: number;
  taskGroup?: string;
  near?: { x: number; y: number; radius: number };
}

export interface AskOptions extends AskFilters {
  /** ROS time at which the question arrived: "now" for time phrases, and only memories created by then are seen. */
  askedAt: RosNanos;
  /** Question id (e.g. the action goal UUID); a random UUID when not given. */
  id?: string;
  /** Option texts of a multiple-choice question; the model may also abstain with the letter after the last. */
  choices?: readonly string[];
  /** Bounds of the request, as ROS stamps or expressions ("1 hour ago", "2026-11-21 08:00"); they always hold. */
  since?: RosNanos | string;
  until?: RosNanos | string;
  signal?: AbortSignal;
  onFeedback?: (feedback: AskFeedback) => void;
}

/** Fewer memories than this found by full text make a first retrieval weak. */
const WEAK_TEXT_HITS = 3;
/** Further tries after a reply that is neither an answer nor a usable search request. */
const REPLY_REPAIRS = 1;

/**
 * Answers questions from stored memories alone. Per question: time phrases are resolved against `askedAt` and
 * removed from the search text; "before/after <event>" is looked up in memory and bounds the search; memory is
 * searched (full-text, vectors when an embedder is set, time bounds, filters, `asOf = askedAt`); a weak result
 * is broadened, and the model may ask for further searches, all within `maxSearches`; the model answers from
 * the memories quoted as data. Evidence ids the model cites that it was not shown are dropped.
 */
export class Answerer {
  readonly #store: MemoryRecords & IdentityRecords;
  readonly #model: AnswerModel | null;
  readonly #embedder: EmbeddingSource | null;
  readonly #time: TimeExpressions;
  readonly #maxEvidence: number;
  readonly #maxSearches: number;
  readonly #logger: Logger;

  constructor({ store, model, embedder, timeZone = 'UTC', maxEvidence = 12, maxSearches = 2, logger = silentLogger }: AnswererOptions) {
    this.#store = store;
    this.#model = model;
    this.#embedder = embedder;
    this.#time = new TimeExpressions({ timeZone });
    this.#maxEvidence = maxEvidence;
    this.#maxSearches = maxSearches;
    this.#logger = logger;
  }

  get timeZone(): string {
    return this.#time.timeZone;
  }

  async ask(question: string, options: AskOptions): Promise<Answer> {
    const { askedAt, choices = [], signal, onFeedback } = options;
    const id = options.id ?? randomUUID();
    if (choices.length > 0) optionLetters(choices.length); // throws when there are more options than letters
    const filters: AskFilters = pick(options);
    const notes: string[] = [];
    const searches: Search[] = [];
    let usedVectors = false;
    const pool = new Map<string, ScoredMemory>();
    const feedback = (stage: AskFeedback['stage']) => onFeedback?.({ stage, memoriesConsidered: pool.size });
    const where = `Answerer#ask(${id})`;

    feedback('retrieving');
    const request = this.#requestBounds(options);
    const resolved = this.#time.resolve(question, askedAt);
    let bounds = intersect(request, resolved.bounds);
    if (resolved.phrases.length > 0)
      notes.push(`time: ${resolved.phrases.map((p) => `"${p}"`).join(', ')} read as ${describeBounds(bounds, this.timeZone)}`);
    if (resolved.event) {
      const event = await this.#findEvent(resolved.event.phrase, askedAt, bounds, filters, signal);
      if (event) {
        const bound: TimeBounds = resolved.event.relation === 'before' ? { until: event.end } : { since: event.start };
        bounds = intersect(bounds, bound);
        notes.push(
          `"${resolved.event.relation} ${resolved.event.phrase}": the event is memory ${event.id} at ${formatLocal(Number(event.start / 1_000_000n), this.timeZone)}`,
        );
      } else {
        notes.push(`"${resolved.event.relation} ${resolved.event.phrase}": no memory of that event, so it sets no time bound`);
      }
    }
    const text = [resolved.rest, ...choices].join(' ');
    const vector = await this.#embed(resolved.rest || question, notes, signal);
    if (!this.#embedder) notes.push('no embedding source configured: retrieval is full-text plus time');

    const search = async (
      by: Search['by'],
      searchText: string,
      searchBounds: TimeBounds,
      useVector: MemoryEmbedding | null,
      person?: string,
    ) => {
      signal?.throwIfAborted();
      const query: RecallQuery = { ...filters, ...searchBounds, asOf: askedAt, limit: this.#maxEvidence };
      if (person !== undefined) query.person = person;
      if (searchText.trim()) query.text = searchText;
      if (useVector) query.vector = useVector;
      const { memories: hits, searchedBy } = await this.#store.recall(query);
      if (searchedBy.includes('vector')) usedVectors = true;
      else if (useVector && !notes.includes(noVectors(useVector.model))) notes.push(noVectors(useVector.model));
      hits.forEach((hit, index) => {
        // Each search is one ranking, fused by reciprocal rank: a search with no words or vector (a person's
        // memories by id, a time window) ranks its hits newest first, and a memory more searches found ranks higher.
        const score = hit.matchedBy.includes('filter') ? 1 / (RRF_K + index + 1) : hit.score;
        const known = pool.get(hit.memory.id);
        pool.set(
          hit.memory.id,
          known
            ? { ...known, score: known.score + score, matchedBy: [...new Set([...known.matchedBy, ...hit.matchedBy])] }
            : { ...hit, score },
        );
      });
      const record: Search = { by, text: searchTerms(searchText).join(' '), bounds: searchBounds, found: hits.length };
      searches.push(record);
      this.#logger.debug(
        `${where}: search ${searches.length} (${by}) terms="${record.text}" ${describeBounds(searchBounds, this.timeZone)} → ${hits.length} memories`,
      );
      return hits;
    };

    const first = await search('question', text, bounds, vector);
    // A person the question names is looked up by id: their newest memories, whatever the words.
    for (const { id: person, name } of await this.#peopleNamed(question)) {
      const found = await search('person', '', bounds, null, person);
      notes.push(`${person}${name ? ` (${JSON.stringify(name)})` : ''}: ${found.length} memories of them found by id`);
    }
    let searchesLeft = this.#maxSearches;
    const textHits = first.filter((h) => h.matchedBy.includes('text')).length;
    if (textHits < WEAK_TEXT_HITS && searchesLeft > 0 && (bounds.since !== undefined || bounds.until !== undefined)) {
      // Few word matches in a time window: what the window holds is the best evidence ("what happened this morning?").
      feedback('searching');
      await search('broaden', '', bounds, null);
      searchesLeft--;
    }

    const evidenceOnly = (note: string) => {
      notes.push(note);
      const evidence = [...pool.values()].sort(bestFirst).slice(0, this.#maxEvidence).map(toEvidence);
      // With no model to judge, an answer with no evidence at all is "not in memory", never an empty answer.
      if (evidence.length === 0) notes.push('no memory matches the question: abstained');
      return this.#result(
        { id, question, askedAt, notes, searches, pool, usedVectors },
        { answer: '', abstained: evidence.length === 0, confidence: 0, chosenIndex: -1, choice: null, answeredBy: '', evidence },
      );
    };
    if (!this.#model) return evidenceOnly('no answering model configured: the answer is the ranked evidence');

    const retrieval = () =>
      `${searches.map((s) => `${s.by} search terms "${s.text}" ${describeBounds(s.bounds, this.timeZone)}: ${s.found} found`).join('; ')}` +
      `; ${usedVectors ? 'full-text and vector similarity' : 'full-text only, no vector search'}`;
    let repairs = 0;
    let reply: AnswerReply;
    let extra: ChatMessage[] = [];
    for (;;) {
      feedback('answering');
      const messages = [
        ...buildAnswerPrompt({
          question,
          choices,
          askedAt,
          timeZone: this.timeZone,
          memories: [...pool.values()],
          retrieval: retrieval(),
          searchesLeft,
        }),
        ...extra,
      ];
      let raw: string;
      try {
        raw = await this.#model.complete(messages, signal);
      } catch (error) {
        signal?.throwIfAborted();
        this.#logger.error(`${where}: the answering model ${this.#model.name} failed: ${(error as Error).message}`);
        return evidenceOnly(
          `the answering model ${this.#model.name} failed (${(error as Error).message}): the answer is the ranked evidence`,
        );
      }
      reply = parseAnswerReply(raw, choices);
      if (reply.kind === 'search' && searchesLeft > 0) {
        feedback('searching');
        const asked = this.#modelBounds(reply, request, bounds, askedAt, notes);
        const found = await search('model', reply.text, asked, reply.text ? await this.#embed(reply.text, notes, signal) : null);
        this.#logger.info(`${where}: the model searched "${reply.text}" ${describeBounds(asked, this.timeZone)}: ${found.length} memories`);
        searchesLeft--;
        extra = [];
        continue;
      }
      if (reply.kind === 'answer') break;
      const reason = reply.kind === 'search' ? 'asked for a search when none was left' : reply.reason;
      if (repairs >= REPLY_REPAIRS) {
        this.#logger.warn(`${where}: ${this.#model.name} gave no usable answer (${reason}); abstaining`);
        notes.push(`the model gave no usable answer (${reason}): abstained`);
        reply = { kind: 'answer', answer: '', abstained: true, confidence: 0, evidence: [], chosenIndex: -1, choice: null };
        break;
      }
      repairs++;
      extra = [
        { role: 'assistant', content: raw },
        { role: 'user', content: `That reply cannot be used: ${reason}. Reply with the answer JSON object only, as instructed.` },
      ];
    }

    const cited = [...new Set(reply.evidence)];
    const known = cited.filter((memoryId) => pool.has(memoryId));
    if (known.length < cited.length) {
      this.#logger.warn(`${where}: dropped ${cited.length - known.length} evidence id(s) the model was not shown`);
      notes.push(`dropped evidence ids the model was not shown: ${cited.filter((m) => !pool.has(m)).join(', ')}`);
    }
    if (reply.confidence === null) notes.push('the model stated no confidence');
    return this.#result(
      { id, question, askedAt, notes, searches, pool, usedVectors },
      {
        answer: reply.answer,
        abstained: reply.abstained,
        confidence: reply.confidence ?? 0,
        chosenIndex: reply.chosenIndex,
        choice: reply.choice,
        answeredBy: this.#model.name,
        evidence: known
          .map((m) => pool.get(m)!)
          .sort(bestFirst)
          .map(toEvidence),
      },
    );
  }

  #result(
    ctx: {
      id: string;
      question: string;
      askedAt: RosNanos;
      notes: string[];
      searches: Search[];
      pool: Map<string, ScoredMemory>;
      usedVectors: boolean;
    },
    answer: Pick<Answer, 'answer' | 'abstained' | 'confidence' | 'chosenIndex' | 'choice' | 'answeredBy' | 'evidence'>,
  ): Answer {
    return {
      questionId: ctx.id,
      question: ctx.question,
      askedAt: ctx.askedAt,
      ...answer,
      retrieval: { mode: ctx.usedVectors ? 'hybrid' : 'full-text', searches: ctx.searches, considered: ctx.pool.size },
      notes: ctx.notes,
    };
  }

  #requestBounds(options: AskOptions): TimeBounds {
    const bounds: TimeBounds = {};
    for (const side of ['since', 'until'] as const) {
      const value = options[side];
      if (value === undefined) continue;
      bounds[side] = typeof value === 'bigint' ? value : this.#time.bound(value, side, options.askedAt);
    }
    return bounds;
  }

  /** The model's search range; the request's bounds still hold, and an unreadable time keeps the question's. */
  #modelBounds(
    reply: Extract<AnswerReply, { kind: 'search' }>,
    request: TimeBounds,
    question: TimeBounds,
    askedAt: RosNanos,
    notes: string[],
  ): TimeBounds {
    if (reply.since === null && reply.until === null) return question;
    const asked: TimeBounds = {};
    try {
      if (reply.since !== null) asked.since = this.#time.bound(reply.since, 'since', askedAt);
      if (reply.until !== null) asked.until = this.#time.bound(reply.until, 'until', askedAt);
    } catch (error) {
      notes.push(`the model's search range was not understood (${(error as Error).message}); the question's range was used`);
      return question;
    }
    return intersect(request, asked);
  }

  /** The people a question names: by id (person_3), or by a name a user gave one (whole words, any case). */
  async #peopleNamed(question: string): Promise<{ id: string; name: string | null }[]> {
    const ids = new Set((question.match(/\bperson_[1-9]\d*\b/gi) ?? []).map((id) => id.toLowerCase()));
    const named = (await this.#store.identities()).filter(
      (p) => p.name !== null && new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(p.name)}($|[^\\p{L}\\p{N}])`, 'iu').test(question),
    );
    const people = new Map<string, string | null>([...ids].map((id) => [id, null]));
    for (const p of named) people.set(p.id, p.name);
    return [...people].map(([id, name]) => ({ id, name }));
  }

  /** The memory of an event: the best full-text match of its words, else (with vectors) the nearest memory. */
  async #findEvent(phrase: string, askedAt: RosNanos, bounds: TimeBounds, filters: AskFilters, signal?: AbortSignal) {
    const vector = await this.#embed(phrase, [], signal);
    const { memories: hits } = await this.#store.recall({
      ...filters,
      ...bounds,
      asOf: askedAt,
      text: phrase,
      ...(vector ? { vector } : {}),
      limit: 5,
    });
    const best = hits.find((h) => h.matchedBy.includes('text')) ?? hits.find((h) => h.matchedBy.includes('vector'));
    return best?.memory ?? null;
  }

  async #embed(text: string, notes: string[], signal?: AbortSignal): Promise<MemoryEmbedding | null> {
    if (!this.#embedder || !text.trim()) return null;
    try {
      const [vector] = await this.#embedder.embed([text], signal);
      return vector ? { model: this.#embedder.name, vector } : null;
    } catch (error) {
      signal?.throwIfAborted();
      this.#logger.warn(`Answerer: embedding with ${this.#embedder.name} failed (${(error as Error).message}); searching full-text only`);
      notes.push(`vector search failed (${(error as Error).message}): full-text only`);
      return null;
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pick(options: AskOptions): AskFilters {
  const filters: AskFilters = {};
  if (options.robotId !== undefined) filters.robotId = options.robotId;
  if (options.episode !== undefined) filters.episode = options.episode;
  if (options.taskGroup !== undefined) filters.taskGroup = options.taskGroup;
  if (options.near !== undefined) filters.near = options.near;
  return filters;
}

function intersect(a: TimeBounds, b: TimeBounds): TimeBounds {
  const out: TimeBounds = {};
  const since = a.since === undefined ? b.since : b.since === undefined ? a.since : a.since > b.since ? a.since : b.since;
  const until = a.until === undefined ? b.until : b.until === undefined ? a.until : a.until < b.until ? a.until : b.until;
  if (since !== undefined) out.since = since;
  if (until !== undefined) out.until = until;
  return out;
}

function describeBounds(bounds: TimeBounds, timeZone: string): string {
  if (bounds.since === undefined && bounds.until === undefined) return 'at any time';
  const show = (t: RosNanos) => formatLocal(Number(t / 1_000_000n), timeZone);
  if (bounds.until === undefined) return `since ${show(bounds.since!)}`;
  if (bounds.since === undefined) return `before ${show(bounds.until)}`;
  return `from ${show(bounds.since)} to ${show(bounds.until)}`;
}

/** Higher fused score first; on a tie (two searches ranking the same memories in opposite orders), the newest. */
function bestFirst(a: ScoredMemory, b: ScoredMemory): number {
  return b.score - a.score || (b.memory.start > a.memory.start ? 1 : b.memory.start < a.memory.start ? -1 : 0);
}

function toEvidence(hit: ScoredMemory): Evidence {
  const m = hit.memory;
  return {
    memoryId: m.id,
    robotId: m.robotId,
    start: m.start,
    end: m.end,
    text: m.text,
    pose: m.pose,
    score: hit.score,
    matchedBy: hit.matchedBy,
    people: m.people,
  };
}

/** Said when vectors of the question could not be searched because no memory has one of that model yet. */
function noVectors(model: string): string {
  return `no memory has a vector of ${model} yet: retrieval is full-text plus time`;
}
