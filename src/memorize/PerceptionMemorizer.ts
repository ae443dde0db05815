import { silentLogger, type Logger } from '../log.js';
import { TextReader } from '../media/TextReader.js';
import { SAME_VIEW, viewDifference, viewSignature } from '../media/viewSignature.js';
import { failedSegment } from '../memory/segmentIdentity.js';
import type { Pose, Segment } from '../segment/Segment.js';
import { nanosToSeconds, type RosNanos } from '../time.js';
import { approximateTokens } from './approximateTokens.js';
import type { MemorizeContext, MemorizeOutcome, Memorizer } from './Memorizer.js';
import { clock } from './prompts.js';
import { segmentMemory } from './segmentMemory.js';
import { sightingSentence } from './sightingSentence.js';
import type { SegmentSight } from '../people/SegmentSight.js';

/** Id and version of the perception memory's wording; bump it when the sentences change. */
export const PERCEPTION_TEMPLATE = 'perception@2';

/** What every perception memory says about itself, so a reader (or the answerer) knows its limits. */
export const PERCEPTION_LABEL =
  'Perception memory, written without a language model: it records only the objects of 80 common kinds and the people (by face, as person ids) detected in the camera images, text read in them, when speech was heard and what the transcript says, how much the view changed, and where the robot was. It cannot describe appearance or places, nor tell what anyone did, and it misses what its detectors do not know.';

/** Mean grey-level difference (0–1) above which the view is said to have changed. */
const SCENE_CHANGE = 0.1;
const MAX_TEXTS = 12;

export interface PerceptionMemorizerOptions {
  reader: TextReader;
  /** Sees objects and people in the keyframes (shared with the policy memorizer); null: not looked for. */
  sight?: SegmentSight | null;
  /** The time a memory is written at: ROS time on the robot, the segment's end in an offline ingest. */
  now: () => RosNanos;
  /** Most keyframes of a segment whose text is read (the most different views win); OCR is the costly part. */
  maxReadFrames?: number;
  logger?: Logger;
}

interface FrameReading {
  stamp: RosNanos;
  /** Texts in this keyframe; null when the image could not be read. */
  texts: string[] | null;
}

/**
 * The embedded memorizer: needs no model server. Writes one memory per segment in plain sentences from what can
 * be perceived without a language model — objects and people seen in the keyframes (when given a sight), text
 * read in them (PaddleOCR), speech spans and transcript, scene changes between keyframes, and the pose — labelled
 * as such (source, model and template `perception`).
 * It never fails a segment: a keyframe that cannot be read is mentioned and skipped.
 */
export class PerceptionMemorizer implements Memorizer {
  readonly name = 'perception';
  readonly #reader: TextReader;
  readonly #sight: SegmentSight | null;
  readonly #now: () => RosNanos;
  readonly #maxReadFrames: number;
  readonly #logger: Logger;

  constructor({ reader, sight = null, now, maxReadFrames = 4, logger = silentLogger }: PerceptionMemorizerOptions) {
    if (!Number.isInteger(maxReadFrames) || maxReadFrames < 1)
      throw new Error(`PerceptionMemorizer: maxReadFrames must be a positive integer, got ${maxReadFrames}`);
    this.#reader = reader;
    this.#sight = sight;
    this.#now = now;
    this.#maxReadFrames = maxReadFrames;
    this.#logger = logger;
  }

  /** Loads the OCR models that ship with taskmem. */
  static async load(options: Omit<PerceptionMemorizerOptions, 'reader'>): Promise<PerceptionMemorizer> {
    return new PerceptionMemorizer({ ...options, reader: await TextReader.load() });
  }

  async memorize(given: Segment, _context: MemorizeContext, signal?: AbortSignal): Promise<MemorizeOutcome> {
    const segment = this.#sight ? await this.#sight.see(given, signal) : given;
    const signatures = await Promise.all(segment.keyframes.map((k) => viewSignature(k.jpeg).catch(() => null)));
    const readings = await this.#readFrames(segment, signatures, signal);
    if (signal?.aborted) {
      return { kind: 'failed', failure: failedSegment(segment, 'aborted', 1) };
    }
    const changes: RosNanos[] = [];
    for (let i = 1; i < signatures.length; i++) {
      const a = signatures[i - 1];
      const b = signatures[i];
      if (a && b && viewDifference(a, b) > SCENE_CHANGE) changes.push(segment.keyframes[i]!.stamp);
    }
    const text = [
      PERCEPTION_LABEL,
      sightingSentence(segment),
      textSentence(readings),
      speechSentence(segment),
      viewSentence(segment.keyframes.length, changes),
      poseSentence(segment.poses),
    ]
      .filter((s) => s !== '')
      .join(' ');
    const memory = segmentMemory(segment, {
      createdAt: this.#now(),
      text,
      source: 'perception',
      taskGroup: null,
      focusDepth: 0,
      quality: { format: true, hygiene: null, preference: null, descriptionTokens: approximateTokens(text) },
      model: 'perception',
      template: PERCEPTION_TEMPLATE,
    });
    return { kind: 'memory', memory };
  }

  /**
   * Reads text in the keyframes that show something new: a keyframe that looks like the last one read shares its
   * text. At most `maxReadFrames` are read, the first and then those that differ most from the one before.
   */
  async #readFrames(segment: Segment, signatures: (Uint8Array | null)[], signal?: AbortSignal): Promise<FrameReading[]> {
    const keyframes = segment.keyframes;
    const novelty = signatures.map((s, i) => {
      const previous = signatures[i - 1];
      return i === 0 || !s || !previous ? Infinity : viewDifference(previous, s);
    });
    const chosen = new Set(
      novelty
        .map((n, i) => ({ n, i }))
        .filter(({ n }) => n > SAME_VIEW)
        .sort((a, b) => b.n - a.n || a.i - b.i)
        .slice(0, this.#maxReadFrames)
        .map(({ i }) => i),
    );
    const texts = new Map<number, string[] | null>();
    for (const i of chosen) {
      if (signal?.aborted) break;
      try {
        texts.set(
          i,
          (await this.#reader.read(keyframes[i]!.jpeg)).map((line) => line.text),
        );
      } catch (error) {
        this.#logger.warn(
          `${this.name}: keyframe at ${clock(keyframes[i]!.stamp)} of segment ${segment.index} could not be read: ${(error as Error).message}`,
        );
        texts.set(i, null);
      }
    }
    let last: string[] | null = null;
    return keyframes.map((keyframe, i) => {
      if (texts.has(i)) last = texts.get(i)!;
      // A view not read shares the text of the nearest earlier one that was (the same view, or as near to it as allowed).
      return { stamp: keyframe.stamp, texts: texts.has(i) ? texts.get(i)! : signatures[i] ? last : null };
    });
  }
}

function textSentence(readings: FrameReading[]): string {
  if (readings.length === 0) return 'There were no camera images.';
  const seen = new Map<string, { text: string; frames: number }>();
  for (const reading of readings) {
    for (const text of new Set(reading.texts ?? [])) {
      const key = text.toLowerCase().replace(/\s+/g, ' ');
      const entry = seen.get(key) ?? { text: text.replace(/\s+/g, ' ').replace(/"/g, "'"), frames: 0 };
      entry.frames++;
      seen.set(key, entry);
    }
  }
  const unreadable = readings.filter((r) => r.texts === null).length;
  const broken = unreadable === 0 ? '' : ` ${unreadable} of them could not be read.`;
  const images = `${readings.length} camera image${readings.length === 1 ? '' : 's'}`;
  if (seen.size === 0) return `No text was read in the ${images}.${broken}`;
  const items = [...seen.values()].slice(0, MAX_TEXTS).map(({ text, frames }) => `"${text}" (in ${frames} of ${readings.length})`);
  return `Text read in the ${images}: ${items.join(', ')}.${broken}`;
}

function speechSentence(segment: Segment): string {
  if (segment.speech.length === 0) return 'No speech was heard.';
  const total = segment.speech.reduce((sum, s) => sum + nanosToSeconds(s.end - s.start), 0);
  const stretches = segment.speech.length === 1 ? 'one stretch' : `${segment.speech.length} stretches`;
  const heard = `Speech was heard for ${total.toFixed(1)} s in ${stretches}, from ${clock(segment.speech[0]!.start)} to ${clock(segment.speech.at(-1)!.end)}`;
  if (segment.transcript.length === 0) return `${heard}; there is no transcript of it.`;
  const said = segment.transcript.map(
    (line) => `"${line.text.replace(/\s+/g, ' ').trim().replace(/"/g, "'")}" (${line.speaker} at ${clock(line.start)})`,
  );
  return `${heard}. Said: ${said.join('; ')}.`;
}

function viewSentence(images: number, changes: RosNanos[]): string {
  if (images < 2) return '';
  if (changes.length === 0) return 'The view stayed the same throughout.';
  const times = changes.map(clock).join(', ');
  return `The view changed ${changes.length === 1 ? 'once' : `${changes.length} times`} (at ${times}).`;
}

function poseSentence(poses: Pose[]): string {
  const first = poses[0];
  const last = poses.at(-1);
  if (!first || !last) return '';
  let travelled = 0;
  for (let i = 1; i < poses.length; i++) travelled += Math.hypot(poses[i]!.x - poses[i - 1]!.x, poses[i]!.y - poses[i - 1]!.y);
  const at = (p: Pose) => `x=${p.x.toFixed(2)} m, y=${p.y.toFixed(2)} m, heading ${Math.round((p.yaw * 180) / Math.PI)}°`;
  if (travelled < 0.05) return `The robot stayed at ${at(last)} in frame "${last.frameId}".`;
  return `The robot moved ${travelled.toFixed(1)} m in frame "${last.frameId}", from ${at(first)} to ${at(last)}.`;
}
