import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { ChatRequest } from './StandInModelServer.js';

const run = promisify(execFile);

/** What fills the camera view in a scripted scene, and the thing that shows that colour. */
export const SCENE_THINGS: Record<string, string> = { red: 'brick wall', yellow: 'taxi', blue: 'ocean', green: 'lawn', white: 'snowfield' };
const RGB: Record<string, [number, number, number]> = {
  red: [220, 30, 30],
  yellow: [235, 220, 40],
  blue: [30, 60, 220],
  green: [40, 180, 60],
  white: [245, 245, 245],
};

/** Makes a video whose view is one flat colour per 10 s scene (optionally with a tone as sound) with ffmpeg. */
export async function makeSceneVideo(path: string, colours: string[], { withAudio = false } = {}): Promise<void> {
  const inputs = colours.flatMap((c) => [
    '-f',
    'lavfi',
    '-i',
    `color=c=0x${RGB[c]!.map((v) => v.toString(16).padStart(2, '0')).join('')}:s=320x240:r=10:d=10`,
  ]);
  const filter = `${colours.map((_, i) => `[${i}:v]`).join('')}concat=n=${colours.length}:v=1:a=0[v]`;
  const audio = withAudio ? ['-f', 'lavfi', '-i', `sine=f=440:d=${colours.length * 10}`] : [];
  const audioMap = withAudio ? ['-map', `${colours.length}:a`, '-c:a', 'aac'] : [];
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    ...inputs,
    ...audio,
    '-filter_complex',
    filter,
    '-map',
    '[v]',
    ...audioMap,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
}

export interface SceneQuestion {
  id: string;
  video: string;
  type: string;
  question: string;
  options: string[];
  answer: string;
  at: number | null;
}

/** The flags that point a bench run's memorizer (its fallback off) and answerer at one stand-in server. */
export function standInFlags(url: string): string[] {
  return ['--memorizer.url', url, '--memorizer.fallback', 'false', '--answerer.url', url, '--answerer.model', 'answerer'];
}

/** Runs `fn` with console.error captured: its value and what it printed there. */
export async function withErrors<T>(fn: () => Promise<T>): Promise<{ value: T; errors: string }> {
  const errors: string[] = [];
  const original = console.error;
  console.error = (text: string) => errors.push(String(text));
  try {
    return { value: await fn(), errors: errors.join('\n') };
  } finally {
    console.error = original;
  }
}

export async function writeQuestions(dir: string, questions: SceneQuestion[]): Promise<string> {
  const path = join(dir, 'questions.jsonl');
  await writeFile(path, questions.map((q) => JSON.stringify(q)).join('\n') + '\n');
  return path;
}

/** Names the colour of a JPEG keyframe from its mean channel values. */
async function colourOf(dataUrl: string): Promise<string> {
  const stats = await sharp(Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64')).stats();
  const mean = stats.channels.slice(0, 3).map((c) => c.mean);
  let best = 'white';
  let bestDistance = Infinity;
  for (const [name, rgb] of Object.entries(RGB)) {
    const d = rgb.reduce((sum, v, i) => sum + (v - mean[i]!) ** 2, 0);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/**
 * A stand-in model that really looks at what it is given, so a benchmark test can only pass when frames,
 * memories and times flow correctly: as policy it names the colour of the segment's middle keyframe; as the
 * robot's answerer it reads the quoted memories, as the paper's answerer the time blocks, and picks the colour of
 * the first or last one; as judge it checks the reference appears in the prediction (and gives no grade for a
 * question that calls itself undecidable).
 */
export async function sceneModel(request: ChatRequest): Promise<string> {
  const user = request.messages.filter((m) => m.role === 'user').at(-1)!;
  const images = Array.isArray(user.content)
    ? user.content.filter((p): p is { type: 'image_url'; image_url: { url: string } } => p.type === 'image_url')
    : [];
  if (images.length > 0) {
    const colour = await colourOf(images.at(-1 - Math.floor(newSegmentImages(request) / 2))!.image_url.url);
    return `<think>The frames are ${colour}.</think>{"description": "The view turns the colour ${colour}: a ${colour} ${SCENE_THINGS[colour]} fills the frame."}`;
  }
  const text = typeof user.content === 'string' ? user.content : user.content.map((p) => ('text' in p ? p.text : '')).join('\n');
  if (text.includes('<memories>')) {
    const block = text.slice(text.indexOf('<memories>') + '<memories>'.length, text.indexOf('</memories>'));
    const memories = JSON.parse(block) as { id: string; text: string }[];
    const question = /Question: (.*)/.exec(text)![1]!;
    const options = [...text.matchAll(/^([A-Z])\. (.*)$/gm)].map((m) => ({ letter: m[1]!, text: m[2]! }));
    const memory = /first/.test(question) ? memories[0] : memories.at(-1);
    const colour = memory ? Object.keys(SCENE_THINGS).find((c) => memory.text.includes(`colour ${c}`)) : undefined;
    if (options.length > 0) {
      const option = options.find((o) => o.text === colour);
      const abstain = options.at(-1)!.letter;
      return JSON.stringify(
        option
          ? { answer: option.letter, abstained: false, confidence: 0.9, evidence: [memory!.id] }
          : { answer: abstain, abstained: true, confidence: 0.2, evidence: [] },
      );
    }
    return JSON.stringify(
      colour
        ? { answer: `It was ${colour}.`, abstained: false, confidence: 0.9, evidence: [memory!.id] }
        : { answer: 'Insufficient information', abstained: true, confidence: 0.1, evidence: [] },
    );
  }
  const graded = /Ground-truth answer: (.*)\nPredicted answer: (.*)/.exec(text);
  if (graded && /undecidable/.test(text)) return '<think>I cannot decide.</think>';
  if (graded) {
    const correct = graded[2]!.toLowerCase().includes(graded[1]!.toLowerCase());
    return `<think>Comparing.</think>{'pred': '${correct ? 'correct' : 'incorrect'}', 'score': ${correct ? 5 : 0}, 'reason': 'stand-in'}`;
  }
  return paperAnswer(text);
}

/** The new segment's keyframes come last in a request: those after the last "New segment" text, or all. */
function newSegmentImages(request: ChatRequest): number {
  const user = request.messages.filter((m) => m.role === 'user').at(-1)!;
  if (!Array.isArray(user.content)) return 0;
  const at = user.content.findLastIndex((p) => p.type === 'text' && p.text.includes('New segment'));
  return user.content.slice(Math.max(0, at)).filter((p) => p.type === 'image_url').length;
}

/**
 * Answers a prompt of the paper's protocol from its time blocks ("00:00:10-00:00:20" over a description); a
 * question that asks for an unreadable reply gets one.
 */
function paperAnswer(text: string): string {
  const descriptions = [...text.matchAll(/^(?:DAY\d+ )?\d\d:\d\d:\d\d-(?:DAY\d+ )?\d\d:\d\d:\d\d\n(.*)$/gm)].map((m) => m[1]!);
  const question = /Question:\s*\n?(.*)/.exec(text)![1]!;
  const options = [...text.matchAll(/^([A-Z])\. (.*)$/gm)].map((m) => ({ letter: m[1]!, text: m[2]! }));
  if (/unreadable/.test(question)) return '<think>Hmm.</think>I would rather not say.';
  const description = /first/.test(question) ? descriptions[0] : descriptions.at(-1);
  const colour = description ? Object.keys(SCENE_THINGS).find((c) => description.includes(`colour ${c}`)) : undefined;
  if (options.length > 0) {
    const letter = options.find((o) => o.text === colour)?.letter ?? String.fromCharCode(options.at(-1)!.letter.charCodeAt(0) + 1);
    return text.includes('"cot"')
      ? `<think>Reading ${descriptions.length} descriptions.</think>{"cot": "The descriptions say ${colour ?? 'nothing'}.", "answer": "${letter}"}`
      : `<think>Reading ${descriptions.length} descriptions.</think>Reasoning: the descriptions say ${colour ?? 'nothing'}.\nAnswer: ${letter}`;
  }
  return colour ? `<think>Found it.</think>It was ${colour}.` : 'Insufficient Information';
}
