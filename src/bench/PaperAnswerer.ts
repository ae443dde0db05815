import type OpenAI from 'openai';
import { optionLetters } from '../answer/AnswerPrompt.js';
import type { MemoryStore } from '../memory/MemoryStore.js';
import type { PromptTemplate } from '../memorize/PromptTemplate.js';
import type { BenchStream, PlannedQuestion } from './BenchPlan.js';
import type { DatasetFormat } from './datasets.js';
import { clockOf, memoriesOf, memoryText } from './memoryBlocks.js';
import { majority, readChoice, readOpen } from './paperReplies.js';
import type { PaperPromptName, PaperPrompts } from './paperPrompts.js';

export interface PaperAnswererOptions {
  store: MemoryStore;
  streams: ReadonlyMap<string, BenchStream>;
  client: OpenAI;
  model: string;
  prompts: PaperPrompts;
  dataset: DatasetFormat;
  /** Replies sampled per question and voted on (the reference: 3 for EgoLife, 1 elsewhere). */
  samples: number;
  temperature: number;
  /** Most tokens of one reply, thinking included. */
  maxTokens: number;
  timeoutMs: number;
}

/** What the paper's answerer made of one question. */
export interface PaperAnswer {
  /** The chosen letter (multiple choice) or the answer text (free form); empty when abstained or unreadable. */
  predicted: string;
  abstained: boolean;
  /** No reply could be read as an answer: scored as answered and wrong, as the reference scores it. */
  unparsable: boolean;
  /** Votes per letter when several replies were sampled; null otherwise. */
  votes: Record<string, number> | null;
  /** Memories in the prompt. */
  memories: number;
  /** The replies as they came. */
  replies: string[];
}

/**
 * The answering side of the TaskMem reference's protocol: the model gets every memory of the question's streams
 * that existed when the question arrived, in time order, in the reference's block layout, with the reference's
 * answer instructions (see paperPrompts.ts); there is no retrieval. Several replies are sampled in one request and
 * voted when `samples` > 1. A request that still fails after the client's retries throws: the run stops there
 * and resumes from that unit, rather than record a guess.
 */
export class PaperAnswerer {
  readonly #options: PaperAnswererOptions;

  constructor(options: PaperAnswererOptions) {
    this.#options = options;
  }

  /** Which prompt a question of this run is asked with. */
  promptFor(planned: PlannedQuestion): Exclude<PaperPromptName, 'memorize' | 'memorize-focus' | 'judge'> {
    const { dataset, streams } = this.#options;
    if (planned.sources.length > 1 || planned.sources[0]!.label !== null) return 'answer-egolife';
    if (streams.get(planned.sources[0]!.robotId)?.timeLabels === 'day') return 'answer-egolife-stream';
    if (planned.question.options.length > 0) return 'answer-videomme';
    return dataset === 'egotempo' ? 'answer-egotempo' : 'answer-open';
  }

  async answer(planned: PlannedQuestion, signal?: AbortSignal): Promise<PaperAnswer> {
    const { store, streams, client, model, prompts, samples, temperature, maxTokens, timeoutMs } = this.#options;
    const { question, askedAt } = planned;
    const sources = await Promise.all(
      planned.sources.map(async (source) => ({
        source,
        stream: streams.get(source.robotId)!,
        memories: await memoriesOf(store, source.robotId, askedAt),
      })),
    );
    const choice = question.options.length > 0 ? optionLetters(question.options.length) : null;
    const template: PromptTemplate = prompts.get(this.promptFor(planned));
    const prompt = template.fill({
      memory: memoryText(sources),
      question: question.question,
      options: choice ? question.options.map((o, i) => `${choice.letters[i]}. ${o}`).join('\n') : '',
      letters: choice ? listed(choice.letters) : '',
      abstain: choice?.abstain ?? '',
      time: askedAt === null ? '' : clockOf(sources[0]!.stream)(askedAt),
    });
    const reply = await client.chat.completions.create(
      { model, messages: [{ role: 'user', content: prompt }], n: samples, temperature, max_tokens: maxTokens },
      { timeout: timeoutMs, ...(signal ? { signal } : {}) },
    );
    const replies = reply.choices.map((c) => c.message.content ?? '');
    const memories = sources.reduce((n, s) => n + s.memories.length, 0);
    if (choice) {
      const valid = [...choice.letters, choice.abstain];
      const { winner, votes } = majority(
        replies.map((r) => readChoice(r, valid)),
        valid,
      );
      return {
        predicted: winner ?? '',
        abstained: winner === choice.abstain,
        unparsable: winner === null,
        votes: samples > 1 ? votes : null,
        memories,
        replies,
      };
    }
    const read = readOpen(replies[0] ?? '');
    return {
      predicted: read && !read.abstained ? read.answer : '',
      abstained: read?.abstained ?? false,
      unparsable: read === null,
      votes: null,
      memories,
      replies,
    };
  }
}

/** "A, B, C or D". */
function listed(letters: string[]): string {
  return letters.length < 2 ? letters.join('') : `${letters.slice(0, -1).join(', ')} or ${letters.at(-1)}`;
}
