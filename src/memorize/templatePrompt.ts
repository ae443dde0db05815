import type OpenAI from 'openai';
import type { Memory } from '../memory/Memory.js';
import type { Segment } from '../segment/Segment.js';
import type { SegmentFrames } from './Memorizer.js';
import { focusText, taskQuestion, transcriptLine } from './prompts.js';
import { PromptTemplate } from './PromptTemplate.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ContentPart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/**
 * Slots of a memorization prompt file (memorizer.prompt_file): `{frames}` where the window's images go, oldest
 * first (the earlier segments' frames, then the new segment's keyframes, as a video would show them);
 * `{preceding}` the window's descriptions in time order, joined by spaces; `{speech}` the new segment's transcript
 * lines; `{focus}` the task-focus text (empty without focus). The whole request is one user message, as the
 * TaskMem reference sends it. The slots are filled with the text as it is, in the reference's layout, not as the
 * quoted data of the built-in prompt: a prompt file reproduces a prompt exactly, and whoever writes one decides
 * how it presents the text it is given (docs/data-safety.md).
 */
export const MEMORIZE_TEMPLATE_SLOTS = ['frames', 'preceding', 'speech', 'focus'] as const;
/** Slot of a focus prompt file (memorizer.focus_prompt_file): the example tasks, one "- question" line each. */
export const FOCUS_TEMPLATE_SLOTS = ['examples'] as const;

export interface MemorizeTemplates {
  prompt: PromptTemplate;
  /** null: the built-in focus text fills `{focus}`. */
  focus: PromptTemplate | null;
}

/** The templates memorizer.prompt_file and memorizer.focus_prompt_file name; null when no prompt file is set. */
export async function loadMemorizeTemplates(promptFile: string, focusFile: string): Promise<MemorizeTemplates | null> {
  if (promptFile === '') {
    if (focusFile !== '') throw new Error('parameter memorizer.focus_prompt_file needs memorizer.prompt_file (the prompt it fills)');
    return null;
  }
  const prompt = await PromptTemplate.load(promptFile, MEMORIZE_TEMPLATE_SLOTS, ['frames']);
  if (prompt.split({}, 'frames').length !== 2) throw new Error(`prompt ${promptFile}: {frames} must appear exactly once`);
  const focus = focusFile === '' ? null : await PromptTemplate.load(focusFile, FOCUS_TEMPLATE_SLOTS, ['examples']);
  return { prompt, focus };
}

/** The template id a memory written with these templates records (in place of the built-in prompt's). */
export function templateId(templates: MemorizeTemplates): string {
  return `file:${templates.prompt.hash}${templates.focus ? `+${templates.focus.hash}` : ''}`;
}

export interface TemplatePromptInput {
  segment: Segment;
  window: Memory[];
  windowFrames: SegmentFrames[];
  focusExamples: string[];
}

/** The request for one segment from a prompt file. */
export function templateMessages(
  templates: MemorizeTemplates,
  { segment, window, windowFrames, focusExamples }: TemplatePromptInput,
): ChatMessage[] {
  const examples = focusExamples.map((q) => `- ${taskQuestion(q)}`).join('\n');
  const focus = focusExamples.length === 0 ? '' : templates.focus ? templates.focus.fill({ examples }) : focusText(focusExamples);
  const byTime = <T extends { start: bigint }>(items: T[]) =>
    [...items].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const [before, after] = templates.prompt.split(
    {
      preceding: byTime(window)
        .map((m) => m.text.replace(/\s+/g, ' ').trim())
        .join(' '),
      speech: segment.transcript.map(transcriptLine).join('\n'),
      focus,
    },
    'frames',
  );
  const frames = [...byTime(windowFrames).flatMap((s) => s.frames), ...segment.keyframes];
  const parts: ContentPart[] = [
    ...(before ? [{ type: 'text' as const, text: before }] : []),
    ...frames.map((k) => ({
      type: 'image_url' as const,
      image_url: { url: `data:image/jpeg;base64,${Buffer.from(k.jpeg).toString('base64')}` },
    })),
    ...(after ? [{ type: 'text' as const, text: after }] : []),
  ];
  return [{ role: 'user', content: parts }];
}
