import type { Memorizer } from '../../src/memorize/Memorizer.js';
import { segmentIdentity } from '../../src/memory/segmentIdentity.js';
import type { Segment } from '../../src/segment/Segment.js';

/**
 * A memorizer that writes `text(segment)` at once, with no model: it stands in for the policy where only what
 * happens around memorizing is measured or tested (the pipeline's speed, the embedding of what is stored).
 */
export function instantMemorizer(text: (segment: Segment) => string, name = 'instant stand-in'): Memorizer {
  return {
    name,
    memorize: async (segment) => ({
      kind: 'memory',
      memory: {
        ...segmentIdentity(segment),
        createdAt: segment.end,
        text: text(segment),
        source: 'perception',
        taskGroup: null,
        focusDepth: 0,
        quality: { format: true, hygiene: null, preference: null, descriptionTokens: text(segment).split(/\s+/).length },
        pose: null,
        model: '',
        template: 'stand-in@1',
        transcript: [],
        people: [],
        thumbnails: [],
      },
    }),
  };
}
