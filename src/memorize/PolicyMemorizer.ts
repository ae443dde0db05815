import { setTimeout as sleep } from 'node:timers/promises';
import type OpenAI from 'openai';
import type { Config } from '../config/schema.js';
import { silentLogger, type Logger } from '../log.js';
import type { FailedSegment, Memory } from '../memory/Memory.js';
import { failedSegment } from '../memory/segmentIdentity.js';
import type { Segment } from '../segment/Segment.js';
import type { RosNanos } from '../time.js';
import type { MemorizeContext, MemorizeOutcome, Memorizer } from './Memorizer.js';
import { OutputContract, type PolicyReply } from './OutputContract.js';
import { PolicyClient, PolicyError, type PolicyCompletion } from './PolicyClient.js';
import { MEMORIZE_TEMPLATE, memorizeMessages, promptText } from './prompts.js';
import { templateId, templateMessages, type MemorizeTemplates } from './templatePrompt.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
import { QualityGate, type GateResult } from './QualityGate.js';
import { segmentMemory } from './segmentMemory.js';
import type { SegmentSight } from '../people/SegmentSight.js';

export interface PolicyMemorizerOptions {
  client: PolicyClient;
  /** memorizer.retries: further attempts after a failed request or an invalid reply. */
  retries: number;
  /** memorizer.retry_backoff_s in ms: wait before the first retry after a transport failure, doubled after each. */
  backoffMs: number;
  /** segment.window_memories: the places window memories rotate through in the prompt. */
  windowSlots: number;
  /** The time a memory is written at: ROS time on the robot, the segment's end in an offline ingest. */
  now: () => RosNanos;
  /** The prompt files (memorizer.prompt_file); null: the built-in prompt. */
  templates?: MemorizeTemplates | null;
  /** Sees every request as it is built (once per segment, not per retry), e.g. to measure its tokens. */
  onRequest?: (messages: ChatMessage[]) => void;
  /** Recognises the people in the keyframes, whose ids the prompt then gives; null: no ids. */
  sight?: SegmentSight | null;
  contract?: OutputContract;
  gate?: QualityGate;
  logger?: Logger;
}

/** One sampled reply of a segment with what the output contract and the quality gate made of it. */
export interface SampledCandidate {
  /** The description; '' when the reply could not be read. */
  text: string;
  /** The reply's content as it came: thinking included, unless the server split it off (a reasoning parser). */
  reply: string;
  /** The whole completion with its thinking: `<think>…</think>` and the content, as the policy wrote it. */
  completion: string;
  passed: boolean;
  /** Why it failed the contract or the gate; empty when it passed. */
  reasons: string[];
  descriptionTokens: number;
  thinkingTokens: number;
  /** What the contract repaired to read it. */
  repairs: string[];
  /** The memory it would become; null unless it passed. */
  memory: Memory | null;
}

/**
 * All candidates of one request, or why the request failed on every attempt. `prompt` is the request as text,
 * images by reference (`promptText`). `unreachable`: no attempt got an HTTP response (refused, timed out, or the
 * connection closed first), so a caller may fall back to the perception memorizer.
 */
export type CandidateBatch =
  | { candidates: SampledCandidate[]; prompt: string; messages: ChatMessage[]; model: string }
  | { failure: FailedSegment; unreachable: boolean };

/** One segment's request, built once and sent unchanged on every attempt. */
interface PolicyRequest {
  messages: ChatMessage[];
  model: string;
  /** The group whose tasks the prompt names; null without focus text. */
  taskGroup: string | null;
  /** The window's descriptions, for the gate's repetition check. */
  preceding: string[];
}

/**
 * Writes memories with the memorization policy: builds the prompt (rules, focus at depth ≥ 1, window, speech,
 * keyframes, pose), asks the policy, reads the reply by the output contract and passes it through the quality
 * gate. Transport failures (5xx, timeout, connection refused, a broken body) are retried with exponential
 * backoff and invalid replies at once, `retries` times in all; a segment that still has no valid reply comes
 * back failed with every attempt's reason, and `unreachable` when no attempt reached the endpoint. The request
 * is rebuilt identically on each attempt, so retries hit the server's prefix cache.
 */
export class PolicyMemorizer implements Memorizer {
  readonly name: string;
  readonly #client: PolicyClient;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #windowSlots: number;
  readonly #now: () => RosNanos;
  readonly #templates: MemorizeTemplates | null;
  readonly #template: string;
  readonly #onRequest: ((messages: ChatMessage[]) => void) | null;
  readonly #sight: SegmentSight | null;
  readonly #contract: OutputContract;
  readonly #gate: QualityGate;
  readonly #logger: Logger;
  /** Whether the last request reached the endpoint; a change is logged once, not every segment. */
  #reachable = true;

  constructor({
    client,
    retries,
    backoffMs,
    windowSlots,
    now,
    templates = null,
    onRequest,
    sight = null,
    contract = new OutputContract(),
    gate = new QualityGate(),
    logger = silentLogger,
  }: PolicyMemorizerOptions) {
    this.#client = client;
    this.#retries = retries;
    this.#backoffMs = backoffMs;
    this.#windowSlots = windowSlots;
    this.#now = now;
    this.#templates = templates;
    this.#template = templates ? templateId(templates) : MEMORIZE_TEMPLATE;
    this.#onRequest = onRequest ?? null;
    this.#sight = sight;
    this.#contract = contract;
    this.#gate = gate;
    this.#logger = logger;
    this.name = `policy ${client.model}`;
  }

  /**
   * The memorizer the configuration describes (memorizer.*, segment.window_memories, model_reply_max_mb); the
   * prompt files of memorizer.prompt_file are loaded by the caller (`loadMemorizeTemplates`).
   */
  static fromConfig(
    config: Pick<Config, 'memorizer' | 'segment' | 'model_reply_max_mb'>,
    {
      now,
      logger,
      env,
      templates = null,
      onRequest,
      sight = null,
    }: {
      now: () => RosNanos;
      logger?: Logger;
      env?: NodeJS.ProcessEnv;
      templates?: MemorizeTemplates | null;
      onRequest?: (messages: ChatMessage[]) => void;
      sight?: SegmentSight | null;
    },
  ): PolicyMemorizer {
    return new PolicyMemorizer({
      client: PolicyClient.fromConfig(config, env),
      retries: config.memorizer.retries,
      backoffMs: config.memorizer.retry_backoff_s * 1000,
      windowSlots: config.segment.window_memories,
      now,
      templates,
      ...(onRequest ? { onRequest } : {}),
      sight,
      ...(logger ? { logger } : {}),
    });
  }

  async memorize(given: Segment, context: MemorizeContext, signal?: AbortSignal): Promise<MemorizeOutcome> {
    const segment = this.#sight ? await this.#sight.see(given, signal) : given;
    const request = this.#request(segment, context);
    const result = await this.#untilAccepted<Memory>(segment, request, 1, signal, async (completion) => {
      const candidate = await this.#candidate(segment, request, completion, completion.choices[0]);
      if (candidate.memory) return { accepted: candidate.memory };
      this.#logger.debug(`${this.name}: segment ${segment.index} reply rejected: ${candidate.reasons.join('; ')}`);
      return { rejected: candidate.reasons.join('; ') };
    });
    return 'accepted' in result ? { kind: 'memory', memory: result.accepted } : { kind: 'failed', ...result };
  }

  /**
   * Samples `n` candidate memories in one request (temperature from the sampling parameters) and returns every
   * one with its contract and gate result, passing or not; choosing among them is the caller's (task focus depth
   * 2 and 3). Only transport failures are retried, within `retries`.
   */
  async sampleCandidates(given: Segment, context: MemorizeContext, n: number, signal?: AbortSignal): Promise<CandidateBatch> {
    const segment = this.#sight ? await this.#sight.see(given, signal) : given;
    const request = this.#request(segment, context);
    const result = await this.#untilAccepted(segment, request, n, signal, async (completion) => ({
      accepted: await Promise.all(completion.choices.map((choice) => this.#candidate(segment, request, completion, choice))),
    }));
    return 'accepted' in result
      ? { candidates: result.accepted, prompt: promptText(request.messages), messages: request.messages, model: request.model }
      : result;
  }

  /**
   * Sends the request until `accept` takes a completion, `retries` more times at most: after a transport failure
   * with backoff, after a rejected reply at once. Ends early on a request a retry cannot fix and on abort.
   */
  async #untilAccepted<T>(
    segment: Segment,
    request: PolicyRequest,
    n: number,
    signal: AbortSignal | undefined,
    accept: (completion: PolicyCompletion) => Promise<{ accepted: T } | { rejected: string }>,
  ): Promise<{ accepted: T } | { failure: FailedSegment; unreachable: boolean }> {
    const problems: string[] = [];
    let answered = false;
    for (let attempt = 1; attempt <= this.#retries + 1; attempt++) {
      const result = await this.#attempt(request, n, signal);
      if (result instanceof PolicyError) {
        problems.push(`attempt ${attempt}: ${result.message}`);
        answered ||= result.answered;
        const last = !result.retryable || attempt > this.#retries;
        if (result.kind === 'aborted' || (!last && !(await this.#backoff(attempt, signal)))) {
          return { failure: failedSegment(segment, `aborted: ${problems.join('; ')}`, attempt), unreachable: false };
        }
        if (last) break;
        continue;
      }
      answered = true;
      const verdict = await accept(result);
      if ('accepted' in verdict) return verdict;
      problems.push(`attempt ${attempt}: ${verdict.rejected}`);
    }
    const attempts = `${problems.length} attempt${problems.length === 1 ? '' : 's'}`;
    const what = answered ? `no valid memory after ${attempts}` : `policy endpoint unreachable after ${attempts}`;
    return { failure: failedSegment(segment, `${what}: ${problems.join('; ')}`, problems.length), unreachable: !answered };
  }

  #request(segment: Segment, context: MemorizeContext): PolicyRequest {
    const focus = context.focus;
    const focused = focus !== null && focus.depth >= 1 && focus.examples.length > 0;
    const input = {
      segment,
      window: context.window,
      // Each earlier frame with the faces seen in it, as its own segment's request showed them (prefix cache).
      windowFrames: this.#sight ? this.#sight.framesSeen(context.windowFrames ?? []) : (context.windowFrames ?? []),
      focusExamples: focused ? focus.examples : [],
    };
    const messages = this.#templates
      ? templateMessages(this.#templates, input)
      : memorizeMessages({ ...input, windowSlots: this.#windowSlots });
    this.#onRequest?.(messages);
    return {
      messages,
      model: focus?.model ?? this.#client.model,
      taskGroup: focused ? focus.group : null,
      preceding: context.window.map((m) => m.text),
    };
  }

  async #attempt(request: PolicyRequest, n: number, signal: AbortSignal | undefined): Promise<PolicyCompletion | PolicyError> {
    try {
      const completion = await this.#client.complete(request.messages, { n, model: request.model, ...(signal ? { signal } : {}) });
      this.#noteReachable(true, '');
      return completion;
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      if (error.kind !== 'aborted') this.#noteReachable(error.answered, error.message);
      this.#logger.debug(`${this.name}: ${error.message}`);
      return error;
    }
  }

  async #candidate(
    segment: Segment,
    request: PolicyRequest,
    completion: PolicyCompletion,
    choice: PolicyReply | undefined,
  ): Promise<SampledCandidate> {
    const reply: PolicyReply = choice ?? { content: null, reasoning: null, finishReason: null };
    const parsed = this.#contract.parse(reply);
    const gate: GateResult = this.#gate.check(parsed, request.preceding);
    const base = {
      text: parsed.ok ? parsed.description : '',
      reply: reply.content ?? '',
      completion: reply.reasoning === null ? (reply.content ?? '') : `<think>${reply.reasoning}</think>${reply.content ?? ''}`,
      passed: gate.passed,
      reasons: gate.reasons,
      descriptionTokens: gate.scores.descriptionTokens,
      thinkingTokens: parsed.thinkingTokens,
      repairs: parsed.repairs,
    };
    if (!parsed.ok || !gate.passed) return { ...base, memory: null };
    const memory = segmentMemory(segment, {
      createdAt: this.#now(),
      text: parsed.description,
      source: 'policy',
      taskGroup: request.taskGroup,
      focusDepth: request.taskGroup === null ? 0 : 1,
      quality: gate.scores,
      model: completion.model,
      template: this.#template,
    });
    return { ...base, memory };
  }

  /** Waits after failed attempt `attempt` (1, 2, …); false when the signal aborted the wait. */
  async #backoff(attempt: number, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      await sleep(this.#backoffMs * 2 ** (attempt - 1), undefined, signal ? { signal } : {});
      return true;
    } catch {
      return false;
    }
  }

  #noteReachable(reachable: boolean, why: string): void {
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    if (reachable) this.#logger.info(`${this.name}: endpoint ${this.#client.baseURL} reachable again`);
    else this.#logger.warn(`${this.name}: endpoint unreachable (${why}); segments fail or fall back until it answers`);
  }
}
