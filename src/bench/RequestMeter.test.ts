import { strict as assert } from 'node:assert';
import type OpenAI from 'openai';
import { colourJpeg } from '../../test/support/memorizeFixtures.js';
import { approximateTokens } from '../memorize/approximateTokens.js';
import { RequestMeter } from './RequestMeter.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

describe('memorizer request meter', () => {
  it('counts text and visual tokens of each request and the prefix it shares with the one before', async () => {
    const url = async (r: number) => `data:image/jpeg;base64,${Buffer.from(await colourJpeg(r, 0, 0)).toString('base64')}`;
    const [a, b, c] = [await url(10), await url(120), await url(240)];
    const request = (images: string[], tail: string): ChatMessage[] => [
      { role: 'system', content: 'Rules that never change.' },
      {
        role: 'user',
        content: [...images.map((u) => ({ type: 'image_url' as const, image_url: { url: u } })), { type: 'text', text: tail }],
      },
    ];
    const meter = new RequestMeter();
    meter.observe(request([a, b], 'New segment at 10 s.'));
    meter.observe(request([a, c], 'New segment at 20 s.'));
    // 64 × 32 px images: 2 × 1 patches of 32 px, plus the vision start and end tokens.
    const image = 2 * 1 + 2;
    const rules = approximateTokens('<|system|>') + approximateTokens('Rules that never change.') + approximateTokens('<|user|>');
    const text = rules + approximateTokens('New segment at 10 s.');
    assert.deepEqual(meter.totals, {
      requests: 2,
      textTokens: 2 * text,
      imageTokens: 4 * image,
      images: 4,
      // The second request shares the rules and the first image; the second image differs.
      sharedPrefixTokens: rules + image,
    });
  });
});
