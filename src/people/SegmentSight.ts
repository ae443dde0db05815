import type { Config } from '../config/schema.js';
import { silentLogger, type Logger } from '../log.js';
import type { ImageBox } from '../media/ImageBox.js';
import { SceneDetector, type SceneDetection } from '../media/SceneDetector.js';
import { SAME_VIEW, viewDifference, viewSignature } from '../media/viewSignature.js';
import { memoryId } from '../memory/Memory.js';
import type { SegmentFrames } from '../memorize/Memorizer.js';
import type { IdentityRecords } from '../memory/IdentityRecords.js';
import type { Keyframe, Segment, TranscriptLine } from '../segment/Segment.js';
import { NOT_EXAMINED, type SeenFace, type Sighting } from '../segment/Sighting.js';
import { NANOS_PER_SECOND, type RosNanos } from '../time.js';
import { IdentityRegistry } from './IdentityRegistry.js';

/** What SegmentSight needs of a detector: SceneDetector, or a test's own. */
export interface Detector {
  detect(image: Uint8Array): Promise<SceneDetection>;
}

export interface SegmentSightOptions {
  detector: Detector;
  /** Recognises faces; null: faces are counted, never identified (people.identify false). */
  registry: IdentityRegistry | null;
  /** perception.budget_s: CPU seconds of detection per segment on average. */
  budgetS: number;
  /** perception.min_confidence */
  minConfidence: number;
  /** perception.min_face_confidence */
  minFaceConfidence: number;
  /** people.min_face_px */
  minFacePx: number;
  /** people.attribute_speech */
  attributeSpeech: boolean;
  /** CPU seconds used by the process so far (the budget's clock); process.cpuUsage by default. */
  cpuSeconds?: () => number;
  logger?: Logger;
}

/** Unspent budget carries over for at most this many segments, so a long still scene cannot save up for an hour. */
const CARRY_SEGMENTS = 3;
/** Segments whose sightings are kept, so that a fallback memorizer or a second candidate reuses them. */
const REMEMBERED = 8;
/** A transcript line is matched to the keyframes within this margin of its span when none lies inside it. */
const SPEECH_MARGIN = NANOS_PER_SECOND;

/**
 * Adds to a segment what can be seen in its keyframes, before it is memorized: objects and faces, people recognised
 * by face (global ids from the store), and transcript lines attributed to a person where that is honest.
 *
 * Detection is costly (≈0.5–1 s of CPU per keyframe), so it runs only where the view changed: a keyframe that looks
 * like the last one examined (under 2 % grey difference, across segments) shares its sighting. The budget is CPU
 * time per segment on average: each segment adds `budgetS`, each detection spends what it cost, and a changed view
 * is examined only while the balance is not negative; a view left out is marked not examined. Results are kept for
 * the last few segments, so the memorizer and its fallback see the same thing and faces are counted once.
 */
export class SegmentSight {
  readonly #detector: Detector;
  readonly #registry: IdentityRegistry | null;
  readonly #budget: number;
  readonly #minConfidence: number;
  readonly #minFaceConfidence: number;
  readonly #minFacePx: number;
  readonly #attributeSpeech: boolean;
  readonly #cpuSeconds: () => number;
  readonly #logger: Logger;
  readonly #remembered = new Map<string, Promise<Segment>>();
  /** What was seen in each keyframe looked at, for as long as the keyframe is kept (a later segment's window frames). */
  readonly #byKeyframe = new WeakMap<Keyframe, Sighting>();
  #balance: number;
  /** The last view examined, carried across segments. */
  #last: { signature: Uint8Array; sighting: Sighting } | null = null;

  constructor({
    detector,
    registry,
    budgetS,
    minConfidence,
    minFaceConfidence,
    minFacePx,
    attributeSpeech,
    cpuSeconds = processCpuSeconds,
    logger = silentLogger,
  }: SegmentSightOptions) {
    if (!(budgetS > 0)) throw new Error(`SegmentSight: the detection budget must be positive, got ${budgetS} s`);
    this.#detector = detector;
    this.#registry = registry;
    this.#budget = budgetS;
    this.#minConfidence = minConfidence;
    this.#minFaceConfidence = minFaceConfidence;
    this.#minFacePx = minFacePx;
    this.#attributeSpeech = attributeSpeech;
    this.#cpuSeconds = cpuSeconds;
    this.#logger = logger;
    this.#balance = 0;
  }

  /** Whether the configuration has the keyframes examined (perception.detect, and a budget for it). */
  static detects({ perception }: Pick<Config, 'perception'>): boolean {
    return perception.detect && perception.budget_s > 0;
  }

  /**
   * The sight the configuration describes, with the vision models loaded and people kept in `store`; null when
   * detection is off (perception.detect false or perception.budget_s 0).
   */
  static async fromConfig(
    config: Pick<Config, 'perception' | 'people'>,
    { store, logger = silentLogger }: { store: IdentityRecords; logger?: Logger },
  ): Promise<SegmentSight | null> {
    if (!SegmentSight.detects(config)) return null;
    const { perception, people } = config;
    const detector = await SceneDetector.load({ describeFaces: people.identify });
    const registry = people.identify
      ? new IdentityRegistry({
          store,
          matchSimilarity: people.match_similarity,
          newBelow: people.new_below,
          maxEmbeddings: people.max_embeddings,
          logger,
        })
      : null;
    return new SegmentSight({
      detector,
      registry,
      budgetS: perception.budget_s,
      minConfidence: perception.min_confidence,
      minFaceConfidence: perception.min_face_confidence,
      minFacePx: people.min_face_px,
      attributeSpeech: people.attribute_speech,
      logger,
    });
  }

  /** The segment with `sightings` (one per keyframe) and its transcript attributed; the same result when asked again. */
  see(segment: Segment, signal?: AbortSignal): Promise<Segment> {
    const key = memoryId(segment.robotId, segment.episode, segment.start);
    const known = this.#remembered.get(key);
    if (known) return known;
    const seen = this.#see(segment, signal);
    this.#remembered.set(key, seen);
    // A failed look is not remembered: asking again tries again.
    seen.catch(() => this.#remembered.delete(key));
    while (this.#remembered.size > REMEMBERED) this.#remembered.delete(this.#remembered.keys().next().value!);
    return seen;
  }

  /**
   * The frames of a window's earlier segments (segment.window_fps) with what was seen in each: a frame of a segment
   * this sight looked at has that keyframe's sighting; others (a segment stored before, or dropped) were not examined.
   */
  framesSeen(windowFrames: readonly SegmentFrames[]): SegmentFrames[] {
    return windowFrames.map((s) => ({ ...s, sightings: s.frames.map((k) => this.#byKeyframe.get(k) ?? NOT_EXAMINED) }));
  }

  async #see(segment: Segment, signal?: AbortSignal): Promise<Segment> {
    this.#balance = Math.min(this.#balance + this.#budget, CARRY_SEGMENTS * this.#budget);
    const sightings: Sighting[] = [];
    /** The descriptors of the faces of the views examined now (shared views were identified before). */
    const described: { stamp: RosNanos; faces: SeenFace[]; descriptors: (Float32Array | null)[] }[] = [];
    for (const keyframe of segment.keyframes) {
      const signature = await viewSignature(keyframe.jpeg).catch(() => null);
      if (signature && this.#last && viewDifference(this.#last.signature, signature) <= SAME_VIEW) {
        sightings.push(this.#last.sighting);
        continue;
      }
      if (!signature || this.#balance < 0 || signal?.aborted) {
        sightings.push(NOT_EXAMINED);
        continue;
      }
      const before = this.#cpuSeconds();
      let detection: SceneDetection | null = null;
      try {
        detection = await this.#detector.detect(keyframe.jpeg);
      } catch (error) {
        this.#logger.warn(
          `SegmentSight: keyframe at ${keyframe.stamp} of segment ${segment.index} could not be examined: ${(error as Error).message}`,
        );
      }
      this.#balance -= this.#cpuSeconds() - before;
      if (!detection) {
        sightings.push(NOT_EXAMINED);
        continue;
      }
      const { sighting, descriptors } = this.#sighting(detection);
      sightings.push(sighting);
      described.push({ stamp: keyframe.stamp, faces: sighting.faces, descriptors });
      this.#last = { signature, sighting };
    }
    await this.#identify(segment, described);
    segment.keyframes.forEach((keyframe, i) => this.#byKeyframe.set(keyframe, sightings[i]!));
    return {
      ...segment,
      sightings,
      transcript: this.#attributeSpeech ? attributed(segment, sightings) : segment.transcript,
    };
  }

  /**
   * What passed the thresholds: objects by score; faces by score and only inside a person the object detector
   * found, at any score (the face detector also finds animals' faces and face-like patterns, and a clear face is
   * better evidence of a person than the object detector's score). With each face its descriptor, when it is large
   * enough to be recognised.
   */
  #sighting(detection: SceneDetection): { sighting: Sighting; descriptors: (Float32Array | null)[] } {
    const objects = detection.objects.filter((o) => o.confidence >= this.#minConfidence);
    const persons = detection.objects.filter((o) => o.label === 'person');
    const faces = detection.faces.filter((f) => f.confidence >= this.#minFaceConfidence && persons.some((p) => centreInside(f.box, p.box)));
    return {
      sighting: {
        examined: true,
        objects,
        faces: faces.map((f) => ({ personId: null, name: null, confidence: f.confidence, box: f.box })),
      },
      descriptors: faces.map((f) => (Math.min(f.box.width, f.box.height) >= this.#minFacePx ? f.descriptor : null)),
    };
  }

  /** Sets the person id of each described face of the views just examined (the faces are the sightings' own). */
  async #identify(
    segment: Segment,
    described: { stamp: RosNanos; faces: SeenFace[]; descriptors: (Float32Array | null)[] }[],
  ): Promise<void> {
    if (!this.#registry) return;
    const frames = described
      .map(({ stamp, faces, descriptors }) => ({
        stamp,
        faces: faces.filter((_, i) => descriptors[i]),
        descriptors: descriptors.filter((d): d is Float32Array => d !== null),
      }))
      .filter((frame) => frame.descriptors.length > 0);
    if (frames.length === 0) return;
    const ids = await this.#registry.identify(frames, memoryId(segment.robotId, segment.episode, segment.start));
    frames.forEach((frame, i) =>
      frame.faces.forEach((face, j) => {
        const person = ids[i]![j] ?? null;
        face.personId = person?.id ?? null;
        face.name = person?.name ?? null;
      }),
    );
  }
}

/**
 * The transcript with each line of an unknown speaker given to the one person visible while it was said: every
 * examined keyframe of the line's span (or, when none lies in it, within a second of it) shows exactly one person,
 * recognised, and always the same. Anything else (nobody, several people, a face not recognised, views not
 * examined) leaves the speaker unknown.
 */
function attributed(segment: Segment, sightings: Sighting[]): TranscriptLine[] {
  return segment.transcript.map((line) => {
    if (line.speaker !== 'unknown') return line;
    const within = (margin: bigint) =>
      segment.keyframes.flatMap((k, i) => (k.stamp >= line.start - margin && k.stamp <= line.end + margin ? [sightings[i]!] : []));
    const views = within(0n).length > 0 ? within(0n) : within(SPEECH_MARGIN);
    if (views.length === 0 || views.some((v) => !v.examined)) return line;
    const ids = new Set(
      views.map((v) => {
        const persons = Math.max(v.faces.length, v.objects.filter((o) => o.label === 'person').length);
        return persons === 1 && v.faces.length === 1 ? v.faces[0]!.personId : null;
      }),
    );
    const [only] = ids;
    return ids.size === 1 && only ? { ...line, speaker: only } : line;
  });
}

function centreInside(inner: ImageBox, outer: ImageBox): boolean {
  const x = inner.left + inner.width / 2;
  const y = inner.top + inner.height / 2;
  return x >= outer.left && x <= outer.left + outer.width && y >= outer.top && y <= outer.top + outer.height;
}

function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
