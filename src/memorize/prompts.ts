import type OpenAI from 'openai';
import type { Memory } from '../memory/Memory.js';
import type { Keyframe, Pose, Segment, TranscriptLine } from '../segment/Segment.js';
import type { SeenFace } from '../segment/Sighting.js';
import { formatStamp, type RosNanos } from '../time.js';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ContentPart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/**
 * Id and version of the memorization prompt. Every memory records it, so a change of wording that could change
 * what gets memorized must bump the version.
 */
export const MEMORIZE_TEMPLATE = 'memorize@2';

const RULES = `You are the memory of a robot. You receive what the robot's camera saw and what its microphones heard during one short segment of time, together with the descriptions already written for the segments just before it. Write a description of the new segment. It is stored as one memory; later, questions about what the robot saw and heard are answered from these memories alone, without the images or the audio.

Describe what the segment adds, in these categories where they apply:
- Appearance: people, objects and places that come into view, with what distinguishes them (clothing, colour, text, where they are relative to each other).
- Actions and movements: what people and the robot do, what is picked up, put down or moved, and where to.
- Spoken dialogue: what is said, quoted briefly or summarised, attributed to the speaker's id.
- Contextual behaviour: roles, emotions, intentions and relationships the scene shows.

Writing rules:
- Write only what is new. Continue the preceding descriptions consistently: the same ids and the same names for the same people and things.
- Do not repeat any fact the preceding descriptions already state.
- Refer to people only by the ids given in the speech lines and with the camera images (for example person_2), never by a guessed name; someone seen without an id is "a person", told apart by appearance.
- Do not begin with "The video". The images come from the robot's camera: where the source matters, say "the robot's camera", never "the video".
- Do not mention subtitles, transcripts, frames, segments, bounding boxes, coordinates or the preceding descriptions; describe the world, not the material.
- Describe only what is complete; do not describe the end of the segment as cut off or truncated.
- Be brief: one or two sentences.

Output: you may think first. Then answer with only a JSON object with exactly one key, "description", whose value is the description as a non-empty string:
{"description": "..."}`;

export interface MemorizePromptInput {
  segment: Segment;
  /** Previous memories of the window, in any order. */
  window: Memory[];
  /** Recent tasks of the active group to focus on (focus depth ≥ 1); empty: no focus text. */
  focusExamples: string[];
  /** segment.window_memories: the number of fixed places window memories rotate through (see `windowOrder`). */
  windowSlots: number;
}

/**
 * The chat request for one segment, ordered from what changes least to what changes most so that consecutive
 * requests share the longest prefix (vLLM prefix caching): the rules; the focus text (changes when the tasks do);
 * the window memories in their fixed places; then this segment's speech, keyframes and pose. Everything before
 * the segment's own part is rendered from stamps and text alone, never from the position of the request. The ids
 * of the people recognised in a keyframe follow its image (see `facesLine`).
 */
export function memorizeMessages({ segment, window, focusExamples, windowSlots }: MemorizePromptInput): ChatMessage[] {
  const system = focusExamples.length === 0 ? RULES : `${RULES}\n\n${focusText(focusExamples)}`;
  const ordered = windowOrder(window, windowSlots);
  const windowText =
    ordered.length === 0
      ? 'Preceding descriptions: none.\n'
      : `Preceding descriptions, each with its time span (listed in rotation: read their order from the times):\n${ordered.map(windowLine).join('')}`;
  const speech =
    segment.transcript.length === 0
      ? 'No speech was heard.\n'
      : `Speech heard (time, speaker id: words):\n${segment.transcript.map((line) => `${transcriptLine(line)}\n`).join('')}`;
  const parts: ContentPart[] = [
    { type: 'text', text: windowText },
    { type: 'text', text: `\nNew segment ${clock(segment.start)}–${clock(segment.end)}.\n${speech}` },
  ];
  for (const [i, keyframe] of segment.keyframes.entries()) {
    parts.push({ type: 'text', text: `Camera image at ${clock(keyframe.stamp)}:` });
    parts.push({ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${Buffer.from(keyframe.jpeg).toString('base64')}` } });
    const faces = segment.sightings?.[i]?.faces ?? [];
    if (faces.length > 0) parts.push({ type: 'text', text: facesLine(faces, keyframe) });
  }
  const pose = nearestPose(segment.poses, segment.start + (segment.end - segment.start) / 2n);
  const where = pose
    ? `The robot was at x=${pose.x.toFixed(2)} m, y=${pose.y.toFixed(2)} m, heading ${degrees(pose.yaw)}° in frame "${pose.frameId}".\n`
    : '';
  parts.push({ type: 'text', text: `\n${where}Write the description of the new segment as the JSON object.` });
  return [
    { role: 'system', content: system },
    { role: 'user', content: parts },
  ];
}

/** The method's task conditioning, placed after the output rules. */
export function focusText(examples: string[]): string {
  return `Focus on content that will be used to answer questions similar to:\n${examples.map((q) => `- ${q.replace(/\s+/g, ' ').trim()}\n`).join('')}`;
}

/**
 * Puts window memories in fixed places: memory of segment i goes to place i mod `slots`. The next segment's
 * window drops the oldest memory and adds the newest into the place just freed, so everything before that place
 * is unchanged and stays in the server's prefix cache. A memory's place is known before the request is made, so
 * no request can keep more: the first change sits exactly where the dropped memory sat. On average
 * (slots − 1) / 2 memories are shared, where time order (oldest or newest first) shares none, since the first
 * line changes every time. The order read is time order rotated once, and every line carries its times.
 */
export function windowOrder(window: Memory[], slots: number): Memory[] {
  const place = (m: Memory) => (slots > 0 ? m.segmentIndex % slots : 0);
  return [...window].sort((a, b) => place(a) - place(b) || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

function windowLine(memory: Memory): string {
  return `[${clock(memory.start)}–${clock(memory.end)}] ${memory.text.replace(/\s+/g, ' ').trim()}\n`;
}

/** How a transcript line is shown to the policy and kept with the memory: time, speaker id, words. */
export function transcriptLine(line: TranscriptLine): string {
  return `${clock(line.start)} ${line.speaker}: ${line.text.replace(/\s+/g, ' ').trim()}`;
}

/**
 * The people whose faces are in a keyframe, as text after the image: each id (or "a person not recognised") with its
 * face box in thousandths of the image's width and height, [left, top, right, bottom], the grid Qwen-VL grounds in.
 * Text rather than labels drawn into the image: the pixels stay as the camera saw them (nothing hidden under a
 * label, nothing for the model to misread), and the ids reach the model exactly.
 */
function facesLine(faces: SeenFace[], keyframe: Keyframe): string {
  const box = ({ left, top, width, height }: SeenFace['box']) =>
    `[${[left / keyframe.width, top / keyframe.height, (left + width) / keyframe.width, (top + height) / keyframe.height]
      .map((v) => Math.round(Math.min(1, v) * 1000))
      .join(', ')}]`;
  const named = faces.map((f) => `${f.personId ?? 'a person not recognised'} ${box(f.box)}`);
  return `Faces in this image (box [left, top, right, bottom] in thousandths of the image): ${named.join('; ')}.`;
}

/** Time of day (UTC) with tenths of a second, e.g. "14:03:12.5": enough to order events within a segment. */
export function clock(stamp: RosNanos): string {
  return formatStamp(stamp).slice(11, 21);
}

/** The pose whose stamp is nearest `stamp`; null without poses. */
export function nearestPose(poses: Pose[], stamp: RosNanos): Pose | null {
  let best: Pose | null = null;
  let bestGap = 0n;
  for (const pose of poses) {
    const gap = pose.stamp > stamp ? pose.stamp - stamp : stamp - pose.stamp;
    if (best === null || gap < bestGap) {
      best = pose;
      bestGap = gap;
    }
  }
  return best;
}

/**
 * The request as text, images by reference ("[image 3]"), for logs and for exported preference pairs, where
 * the images themselves would be too large.
 */
export function promptText(messages: ChatMessage[]): string {
  let image = 0;
  return messages
    .map((message) => {
      const content = message.content;
      const text =
        typeof content === 'string'
          ? content
          : (content ?? [])
              .map((part) => ('text' in part ? part.text : part.type === 'image_url' ? `[image ${++image}]` : `[${part.type}]`))
              .join('');
      return `<${message.role}>\n${text}`;
    })
    .join('\n');
}

function degrees(yaw: number): string {
  return ((yaw * 180) / Math.PI).toFixed(0);
}
