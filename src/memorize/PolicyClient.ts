import OpenAI from 'openai';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { ModelClient, ReplyLimitError } from '../endpoint/ModelClient.js';
import { OutputContract, type PolicyReply } from './OutputContract.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** Sampling of the policy; the method's defaults are temperature 0.6, top_p 0.95, top_k 20. */
export interface PolicySampling {
  temperature: number;
  topP: number;
  /** -1: off. Sent as vLLM's `top_k` extension of the OpenAI request. */
  topK: number;
  /** Most tokens of one reply, thinking included. */
  maxTokens: number;
}

export interface PolicyClientOptions {
  /** OpenAI-compatible base URL, ending in /v1 (credentials in it: see ModelClient). */
  baseURL: string;
  model: string;
  /** null: no Authorization header (a vLLM started without --api-key). */
  apiKey: string | null;
  timeoutMs: number;
  /** model_reply_max_mb: a larger reply is abandoned unread and is a `protocol` failure. */
  maxReplyMb: number;
  sampling: PolicySampling;
  /**
   * Ask the server to constrain the answer to the output contract's JSON schema. Off by default: a thinking model
   * writes `<think>` first, which a constrained decoder forbids unless the server splits off reasoning itself
   * (vLLM with --reasoning-parser).
   */
  jsonSchema?: boolean;
}

export interface PolicyCompletion {
  /** The model that was asked for. */
  model: string;
  choices: PolicyReply[];
  usage: { promptTokens: number; completionTokens: number } | null;
}

/**
 * How a request failed. `unreachable`: nothing accepted the connection; `timeout`: no whole reply in time;
 * `connection`: the connection closed or reset before a whole reply came (a server going down, a reply cut off);
 * `server`: a 5xx/429/408 status; `protocol`: a reply that is not a chat completion (not JSON, not the API's shape,
 * or larger than model_reply_max_mb); `rejected`: any other status (bad request, unknown model, bad key), which a
 * retry cannot fix; `aborted`: the caller's signal.
 */
export type PolicyErrorKind = 'unreachable' | 'timeout' | 'connection' | 'server' | 'protocol' | 'rejected' | 'aborted';

export class PolicyError extends Error {
  override name = 'PolicyError';
  readonly kind: PolicyErrorKind;
  readonly status: number | null;

  constructor(kind: PolicyErrorKind, message: string, status: number | null = null, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.status = status;
  }

  /** Whether asking again may succeed. */
  get retryable(): boolean {
    return this.kind !== 'rejected' && this.kind !== 'aborted';
  }

  /** True when a server answered with an HTTP response, however bad; false when none came (or the caller aborted). */
  get answered(): boolean {
    return this.kind === 'server' || this.kind === 'protocol' || this.kind === 'rejected';
  }
}

/** Network error codes that mean nothing answered at the endpoint. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The parts of a chat completion the policy's replies are read from, checked once at the edge: a reply that is
 * JSON but not this shape (`{"choices": [null]}`) is a `protocol` failure, retried like any other.
 */
const completionSchema = z.object({
  choices: z.array(
    z.object({
      message: z.object({
        content: z.string().nullish(),
        reasoning_content: z.string().nullish(),
        reasoning: z.string().nullish(),
      }),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

/**
 * The memorization policy behind an OpenAI-compatible endpoint (vLLM). One call is one HTTP request; retries
 * are the caller's (the openai client's own retries are off), so that every failure is seen and classified.
 */
export class PolicyClient {
  readonly model: string;
  /** The base URL without credentials, for messages. */
  readonly baseURL: string;
  readonly #client: ModelClient;
  readonly #sampling: PolicySampling;
  readonly #jsonSchema: boolean;

  constructor({ baseURL, model, apiKey, timeoutMs, maxReplyMb, sampling, jsonSchema = false }: PolicyClientOptions) {
    this.model = model;
    this.#sampling = sampling;
    this.#jsonSchema = jsonSchema;
    this.#client = new ModelClient({ url: baseURL, apiKey, timeoutMs, maxRetries: 0, maxReplyMb });
    this.baseURL = this.#client.endpoint;
  }

  /** The client `memorizer.*` parameters describe; the API key is read from the variable `api_key_env` names. */
  static fromConfig(config: Pick<Config, 'memorizer' | 'model_reply_max_mb'>, env: NodeJS.ProcessEnv = process.env): PolicyClient {
    const params = config.memorizer;
    if (params.url === '')
      throw new Error('PolicyClient: memorizer.url is empty; set it to the policy endpoint, e.g. http://gpu-box:8000/v1');
    const key = params.api_key_env === '' ? undefined : env[params.api_key_env];
    return new PolicyClient({
      baseURL: params.url,
      model: params.model,
      apiKey: key === undefined || key === '' ? null : key,
      timeoutMs: params.timeout_s * 1000,
      maxReplyMb: config.model_reply_max_mb,
      sampling: { temperature: params.temperature, topP: params.top_p, topK: params.top_k, maxTokens: params.max_tokens },
      jsonSchema: params.json_schema,
    });
  }

  /**
   * Asks for `n` replies to one request (one prompt evaluation, n samples). Throws `PolicyError` on any failure.
   * `model` overrides the served model, e.g. a task group's adapter.
   */
  async complete(
    messages: ChatMessage[],
    { n = 1, model = this.model, signal }: { n?: number; model?: string; signal?: AbortSignal } = {},
  ): Promise<PolicyCompletion> {
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming & { top_k?: number } = {
      model,
      messages,
      n,
      temperature: this.#sampling.temperature,
      top_p: this.#sampling.topP,
      max_tokens: this.#sampling.maxTokens,
      ...(this.#sampling.topK >= 0 ? { top_k: this.#sampling.topK } : {}),
      ...(this.#jsonSchema ? { response_format: OutputContract.responseFormat() } : {}),
    };
    let raw: unknown;
    try {
      raw = await this.#client.chat.completions.create(body, signal ? { signal } : {});
    } catch (error) {
      throw this.#classify(error, signal);
    }
    const reply = completionSchema.safeParse(raw);
    if (!reply.success) {
      const issue = reply.error.issues[0]!;
      throw new PolicyError(
        'protocol',
        `${this.#where(model)}: the reply is not a chat completion (${issue.path.map(String).join('.') || 'the reply'}: ${issue.message})`,
      );
    }
    const { choices, usage } = reply.data;
    return {
      model,
      choices: choices.map(({ message, finish_reason }) => ({
        content: message.content ?? null,
        reasoning: message.reasoning_content ?? message.reasoning ?? null,
        finishReason: finish_reason ?? null,
      })),
      usage: usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : null,
    };
  }

  #classify(error: unknown, signal: AbortSignal | undefined): PolicyError {
    const where = this.#where();
    if (error instanceof OpenAI.APIUserAbortError || signal?.aborted)
      return new PolicyError('aborted', `${where}: aborted`, null, { cause: error });
    if (error instanceof ReplyLimitError)
      return new PolicyError(error.limit === 'time' ? 'timeout' : 'protocol', error.message, null, { cause: error });
    if (error instanceof OpenAI.APIConnectionTimeoutError)
      return new PolicyError('timeout', `${where}: no reply within the timeout`, null, { cause: error });
    if (error instanceof OpenAI.APIConnectionError) {
      const code = networkCode(error);
      if (code !== null && UNREACHABLE_CODES.has(code))
        return new PolicyError('unreachable', `${where}: cannot connect (${code})`, null, { cause: error });
      return new PolicyError(
        'connection',
        `${where}: the connection closed before a complete reply (${code ?? causeMessage(error)})`,
        null,
        { cause: error },
      );
    }
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
      const status = error.status;
      const kind = status >= 500 || status === 429 || status === 408 ? 'server' : 'rejected';
      return new PolicyError(kind, `${where}: HTTP ${status}: ${error.message}`, status, { cause: error });
    }
    if (error instanceof SyntaxError)
      return new PolicyError('protocol', `${where}: the reply is not valid JSON (${error.message})`, null, { cause: error });
    return new PolicyError('protocol', `${where}: ${error instanceof Error ? error.message : String(error)}`, null, { cause: error });
  }

  #where(model = this.model): string {
    return `policy ${model} at ${this.baseURL}`;
  }
}

/** The system error code under an openai connection error (undici nests it: error → TypeError → cause). */
function networkCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e instanceof Object && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const inner = errors.map(networkCode).find((c) => c !== null);
      if (inner) return inner;
    }
  }
  return null;
}

function causeMessage(error: Error): string {
  let e: unknown = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
