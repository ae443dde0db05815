import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import type { StoredPart, StoredRequest } from '../memory/MemoryStore.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/**
 * A memorizer request as a preference pair keeps it: text as sent, each image (a data URL) by the SHA-256 of its
 * bytes, with the bytes beside it for the store to keep once.
 */
export function storedRequest(messages: ChatMessage[]): { request: StoredRequest; images: Map<string, Uint8Array> } {
  const images = new Map<string, Uint8Array>();
  const request: StoredRequest = {
    messages: messages.map((message) => {
      if (message.role !== 'system' && message.role !== 'user' && message.role !== 'assistant')
        throw new Error(`storedRequest: a memorizer request has no ${message.role} message`);
      const content = message.content;
      const parts: StoredPart[] =
        typeof content === 'string'
          ? [{ type: 'text', text: content }]
          : (content ?? []).flatMap((part): StoredPart[] => {
              if ('text' in part && typeof part.text === 'string') return [{ type: 'text', text: part.text }];
              if (part.type !== 'image_url') throw new Error(`storedRequest: a memorizer request has a ${part.type} part`);
              const url = part.image_url.url;
              const bytes = new Uint8Array(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
              const sha256 = createHash('sha256').update(bytes).digest('hex');
              images.set(sha256, bytes);
              return [{ type: 'image', sha256 }];
            });
      return { role: message.role, content: parts };
    }),
  };
  return { request, images };
}
