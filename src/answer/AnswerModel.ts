import type OpenAI from 'openai';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The language model that answers from the quoted memories. `name` is reported as `answered_by`. */
export interface AnswerModel {
  readonly name: string;
  complete(messages: ChatMessage[], signal?: AbortSignal): Promise<string>;
}

export interface OpenAIAnswerModelOptions {
  client: OpenAI;
  model: string;
  temperature: number;
  maxTokens: number;
}

/** An answering model behind an OpenAI-compatible chat endpoint (vLLM, llama.cpp, OpenAI). */
export class OpenAIAnswerModel implements AnswerModel {
  readonly name: string;
  readonly #client: OpenAI;
  readonly #temperature: number;
  readonly #maxTokens: number;

  constructor({ client, model, temperature, maxTokens }: OpenAIAnswerModelOptions) {
    if (!model) throw new Error('OpenAIAnswerModel: answerer.model is required with answerer.url');
    this.name = model;
    this.#client = client;
    this.#temperature = temperature;
    this.#maxTokens = maxTokens;
  }

  async complete(messages: ChatMessage[], signal?: AbortSignal): Promise<string> {
    const reply = await this.#client.chat.completions.create(
      { model: this.name, messages, temperature: this.#temperature, max_tokens: this.#maxTokens },
      signal ? { signal } : {},
    );
    const content = reply.choices[0]?.message.content;
    if (typeof content !== 'string')
      throw new Error(`OpenAIAnswerModel(${this.name} at ${this.#client.baseURL}): the reply has no message content`);
    return content;
  }
}
