import type OpenAI from 'openai';
import { readImageHeader } from '../media/imageHeader.js';
import { approximateTokens } from '../memorize/approximateTokens.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** Pixels per side of one visual token of Qwen3-VL (16 px patches merged 2 × 2). */
const PIXELS_PER_TOKEN = 32;
/** The vision start and end tokens around each image. */
const IMAGE_MARKERS = 2;

/** Sums over the requests a meter saw; divide by `requests` for the mean. */
export interface RequestStats {
  requests: number;
  textTokens: number;
  imageTokens: number;
  images: number;
  /** Tokens each request shares at its start with the request before it (what a prefix cache can reuse). */
  sharedPrefixTokens: number;
}

export const NO_REQUESTS: RequestStats = { requests: 0, textTokens: 0, imageTokens: 0, images: 0, sharedPrefixTokens: 0 };

/** A request as a model's chat template lays it out: role markers, text and images, in order. */
type Piece = { kind: 'text'; text: string } | { kind: 'image'; url: string; tokens: number };

/**
 * Measures the memorizer's requests of one stream: text and visual tokens each, and the prefix it shares with
 * the one before. Tokens are estimates for Qwen3-VL: text by `approximateTokens`, images by 32 × 32-pixel patches
 * (exact for keyframes, whose sides are multiples of 32). The shared prefix is counted up to the first piece that
 * differs (within a text, up to the first different character); a server caching in blocks reuses a little less.
 */
export class RequestMeter {
  readonly totals: RequestStats = { ...NO_REQUESTS };
  #previous: Piece[] | null = null;

  observe(messages: ChatMessage[]): void {
    const pieces = layout(messages);
    this.totals.requests++;
    for (const piece of pieces) {
      if (piece.kind === 'text') this.totals.textTokens += approximateTokens(piece.text);
      else {
        this.totals.imageTokens += piece.tokens;
        this.totals.images++;
      }
    }
    if (this.#previous) this.totals.sharedPrefixTokens += sharedTokens(this.#previous, pieces);
    this.#previous = pieces;
  }
}

/** Adds two sums. */
export function addStats(a: RequestStats, b: RequestStats): RequestStats {
  return {
    requests: a.requests + b.requests,
    textTokens: a.textTokens + b.textTokens,
    imageTokens: a.imageTokens + b.imageTokens,
    images: a.images + b.images,
    sharedPrefixTokens: a.sharedPrefixTokens + b.sharedPrefixTokens,
  };
}

function layout(messages: ChatMessage[]): Piece[] {
  const pieces: Piece[] = [];
  for (const message of messages) {
    pieces.push({ kind: 'text', text: `<|${message.role}|>` });
    const content = message.content;
    if (typeof content === 'string') pieces.push({ kind: 'text', text: content });
    else {
      for (const part of content ?? []) {
        if ('text' in part && typeof part.text === 'string') pieces.push({ kind: 'text', text: part.text });
        else if (part.type === 'image_url')
          pieces.push({ kind: 'image', url: part.image_url.url, tokens: imageTokens(part.image_url.url) });
      }
    }
  }
  return pieces;
}

function imageTokens(url: string): number {
  const bytes = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  const header = readImageHeader(bytes);
  if (!header) return IMAGE_MARKERS;
  return Math.ceil(header.width / PIXELS_PER_TOKEN) * Math.ceil(header.height / PIXELS_PER_TOKEN) + IMAGE_MARKERS;
}

function sharedTokens(a: Piece[], b: Piece[]): number {
  let tokens = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind === 'image' && y.kind === 'image' && x.url === y.url) {
      tokens += x.tokens;
      continue;
    }
    if (x.kind === 'text' && y.kind === 'text') {
      let n = 0;
      while (n < x.text.length && n < y.text.length && x.text[n] === y.text[n]) n++;
      tokens += approximateTokens(x.text.slice(0, n));
      if (n === x.text.length && n === y.text.length) continue;
    }
    break;
  }
  return tokens;
}
