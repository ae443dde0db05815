import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NANOS_PER_SECOND, secondsToNanos, type RosNanos } from '../time.js';
import { dayNumber, timeOfDay, type BenchQuestion, type DayTime } from './datasets.js';
import { scheduleExamples, type ExampleScheduleOptions } from './exampleSchedule.js';

/** ROS time given to the first frame of the first video; each further video starts VIDEO_SPACING later. */
export const VIDEO_BASE: RosNanos = 1_700_000_000n * NANOS_PER_SECOND;
/**
 * Longer than any video, so that the videos' timelines never overlap and times of questions (the task log's
 * stamps) follow the order of the question file from one video to the next.
 */
export const VIDEO_SPACING: RosNanos = 1_000_000n * NANOS_PER_SECOND;
/** ROS time of midnight before DAY1 of an EgoLife recording (2024-01-01 UTC); DAYn is n − 1 days later. */
export const DAY1_MIDNIGHT: RosNanos = BigInt(Date.UTC(2024, 0, 1) / 1000) * NANOS_PER_SECOND;

const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.webm', '.mov', '.avi'];
/** EgoLife's file names: DAY1_A1_JAKE_11094208.mp4 is participant A1_JAKE's recording from DAY1 11:09:42.08. */
const EGOLIFE_NAME = /^(DAY\d+)_(.+)_(\d{8})$/i;

/** One video file of a stream and the ROS time of its first frame. */
export interface StreamPart {
  videoId: string;
  file: string;
  base: RosNanos;
}

/** How the paper's answerer shows memory times: from the stream's start, or as the real day and time. */
export type TimeLabels = 'relative' | 'day';

/** Video memorized into one robot's memory: its files in time order, with the task focus it is written under. */
export interface BenchStream {
  /** The robot id its memories are stored under. */
  robotId: string;
  parts: StreamPart[];
  /** The paper's per-type memory: written for this question type with these examples; null: unfocused. */
  focus: { group: string; examples: string[] } | null;
  timeLabels: TimeLabels;
}

/** A stream a question is answered from, with the heading the paper's answerer puts above its memories. */
export interface MemorySource {
  robotId: string;
  /** An EgoLife clip's day and time; null for a whole video. */
  label: string | null;
}

export interface PlannedQuestion {
  question: BenchQuestion;
  /** The memories it is answered from: one stream, or an EgoLife question's current clip and target clips. */
  sources: MemorySource[];
  /** ROS time it arrives at, while its one source is streamed; null: after its sources are memorized. */
  askedAt: RosNanos | null;
}

/** Questions answered from the same streams: memorized, then asked, then recorded as done together. */
export interface BenchUnit {
  /** The source robot ids joined by "+": the unit's done-marker in results.jsonl. */
  id: string;
  questions: PlannedQuestion[];
}

export interface BenchPlan {
  streams: Map<string, BenchStream>;
  units: BenchUnit[];
}

/** EgoLife questions: from their evidence clips (the paper's), or asked along the day recordings at their real time. */
export type EgoLifeMode = 'clips' | 'stream';

export interface PlanOptions {
  questions: BenchQuestion[];
  videosDir: string;
  /** For EgoLife questions (null for other datasets). */
  egolife: EgoLifeMode | null;
  /** The paper's per-type memories with examples by this schedule; null: one unfocused memory per stream. */
  schedule: ExampleScheduleOptions | null;
  /** Real starts of EgoLife recordings whose file names do not carry them (`--day-starts`), by video id. */
  dayStarts?: ReadonlyMap<string, DayTime>;
}

/**
 * Which videos are memorized into which robot's memory, and when each question is asked from which memories.
 * Videos (Video-MME, EgoTempo, our JSONL): one stream each, at its own time base; a question arrives `arrivesAt`
 * seconds in, or after the video. EgoLife clips: each clip is a stream, and a question is answered from its
 * current and target clips once they are memorized. EgoLife day recordings: a participant's recordings form one
 * stream on the real calendar (DAYn at midnight plus the time of day), so a question arrives at its real date and
 * time, and sees the memories of every earlier recording of that participant and none made after it.
 */
export async function planBench({ questions, videosDir, egolife, schedule, dayStarts = new Map() }: PlanOptions): Promise<BenchPlan> {
  const names = await readdir(videosDir);
  const stems = new Map<string, string>();
  for (const name of names) {
    const ext = VIDEO_EXTENSIONS.find((e) => name.toLowerCase().endsWith(e));
    if (ext) stems.set(name.slice(0, -ext.length), join(videosDir, name));
  }
  const missing = new Set<string>();
  const fileOf = (id: string) => stems.get(id) ?? (missing.add(id), '');

  let planned: { question: BenchQuestion; sources: MemorySource[]; askedAt: RosNanos | null }[];
  const streams = new Map<string, BenchStream>();
  if (egolife === 'clips') {
    const clipIndex = new Map<string, number>();
    planned = questions.map((question) => {
      if (!question.clips)
        throw new Error(`bench: question ${question.id} has no evidence clips; the clips mode reads the reference's results format`);
      const clips = [question.clips.current, ...question.clips.targets];
      for (const clip of clips) {
        if (!clipIndex.has(clip.id)) clipIndex.set(clip.id, clipIndex.size);
        if (!streams.has(clip.id)) {
          const base = VIDEO_BASE + BigInt(clipIndex.get(clip.id)!) * VIDEO_SPACING;
          streams.set(clip.id, stream(clip.id, [{ videoId: clip.id, file: fileOf(clip.id), base }], 'relative'));
        }
      }
      return { question, sources: clips.map((c) => ({ robotId: c.id, label: c.label })), askedAt: null };
    });
  } else if (egolife === 'stream') {
    planned = dayRecordings(questions, stems, dayStarts, streams, missing);
  } else {
    const videoIndex = new Map<string, number>();
    planned = questions.map((question) => {
      if (!videoIndex.has(question.videoId)) videoIndex.set(question.videoId, videoIndex.size);
      const base = VIDEO_BASE + BigInt(videoIndex.get(question.videoId)!) * VIDEO_SPACING;
      if (!streams.has(question.videoId))
        streams.set(
          question.videoId,
          stream(question.videoId, [{ videoId: question.videoId, file: fileOf(question.videoId), base }], 'relative'),
        );
      const askedAt = question.arrivesAt === null ? null : base + secondsToNanos(question.arrivesAt);
      return { question, sources: [{ robotId: question.videoId, label: null }], askedAt };
    });
  }
  if (missing.size > 0) {
    const list = [...missing];
    throw new Error(
      `bench: no video file for ${list.slice(0, 5).join(', ')}${list.length > 5 ? ` and ${list.length - 5} more` : ''} in ${videosDir} (looked for ${VIDEO_EXTENSIONS.join(', ')})`,
    );
  }
  if (schedule) planned = perType(planned, streams, schedule);

  const units = new Map<string, BenchUnit>();
  for (const q of planned) {
    const id = q.sources.map((s) => s.robotId).join('+');
    const unit = units.get(id) ?? { id, questions: [] };
    unit.questions.push(q);
    units.set(id, unit);
  }
  return { streams, units: [...units.values()] };
}

function stream(robotId: string, parts: StreamPart[], timeLabels: TimeLabels): BenchStream {
  return { robotId, parts, focus: null, timeLabels };
}

/**
 * The paper's memories per question type: each stream a question reads is memorized again for the question's
 * type, with the examples the schedule gives it; a (stream, type) the schedule gives no example yet reads the
 * unfocused memory, which is the same prompt.
 */
function perType(planned: PlannedQuestion[], streams: Map<string, BenchStream>, schedule: ExampleScheduleOptions): PlannedQuestion[] {
  const sourcesOf = new Map(planned.map((p) => [p.question, p.sources]));
  const examples = scheduleExamples(
    planned.map((p) => p.question),
    (q) => sourcesOf.get(q)!.map((s) => s.robotId),
    schedule,
  );
  return planned.map((p) => ({
    ...p,
    sources: p.sources.map((source) => {
      const type = p.question.type;
      const chosen = examples.get(source.robotId)?.get(type) ?? [];
      if (chosen.length === 0) return source;
      const robotId = `${source.robotId}#${type}`;
      if (!streams.has(robotId))
        streams.set(robotId, { ...streams.get(source.robotId)!, robotId, focus: { group: type, examples: chosen } });
      return { ...source, robotId };
    }),
  }));
}

interface Recording {
  videoId: string;
  file: string;
  /** Who recorded it; recordings of one participant form one stream. */
  participant: string;
  day: number;
  base: RosNanos;
}

/** EgoLife day recordings: one stream per participant on the real calendar, and each question at its real time. */
function dayRecordings(
  questions: BenchQuestion[],
  stems: Map<string, string>,
  dayStarts: ReadonlyMap<string, DayTime>,
  streams: Map<string, BenchStream>,
  missing: Set<string>,
): PlannedQuestion[] {
  const recordings = new Map<string, Recording>();
  for (const [videoId, file] of stems) {
    const named = EGOLIFE_NAME.exec(videoId);
    const given = dayStarts.get(videoId);
    const day = given?.day ?? (named ? dayNumber(named[1]!) : null);
    const seconds = given ? given.seconds : named ? timeOfDay(named[3]!) : null;
    if (day === null || seconds === null) continue;
    recordings.set(videoId, { videoId, file, participant: given ? 'egolife' : named![2]!, day, base: realTime({ day, seconds }) });
  }
  for (const id of dayStarts.keys()) if (!stems.has(id)) missing.add(id);
  const participants = [...new Set([...recordings.values()].map((r) => r.participant))];
  const planned = questions.map((question) => {
    let recording: Recording | undefined;
    if (question.videoId) {
      recording = recordings.get(question.videoId);
      if (!recording) {
        if (!stems.has(question.videoId)) missing.add(question.videoId);
        else
          throw new Error(
            `bench: when did recording ${question.videoId} start? name it DAYn_<participant>_HHMMSSff (EgoLife's names) or give --day-starts ${question.videoId}=DAYn-HHMMSSff`,
          );
      }
    } else if (participants.length > 1) {
      throw new Error(
        `bench: question ${question.id} names no video and the folder holds recordings of ${participants.join(', ')}: give it a videoID or use one folder per participant`,
      );
    }
    const participant = recording?.participant ?? participants[0];
    if (participant === undefined)
      throw new Error('bench: no recording named DAYn_<participant>_HHMMSSff (or given by --day-starts) in the videos folder');
    let askedAt: RosNanos | null = null;
    if (question.askedOn) askedAt = realTime({ day: question.askedOn.day ?? recording!.day, seconds: question.askedOn.seconds });
    else if (question.arrivesAt !== null) askedAt = recording!.base + secondsToNanos(question.arrivesAt);
    return { question, sources: [{ robotId: participant, label: null }], askedAt };
  });
  for (const participant of new Set(planned.map((p) => p.sources[0]!.robotId))) {
    const own = planned.filter((p) => p.sources[0]!.robotId === participant);
    // Recordings that start after the last question cannot be seen by any question.
    const last = own.some((p) => p.askedAt === null) ? null : own.reduce((m, p) => (p.askedAt! > m ? p.askedAt! : m), 0n);
    const parts = [...recordings.values()]
      .filter((r) => r.participant === participant && (last === null || r.base <= last))
      .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0))
      .map((r) => ({ videoId: r.videoId, file: r.file, base: r.base }));
    streams.set(participant, stream(participant, parts, 'day'));
  }
  return planned;
}

/** The ROS time of a real EgoLife day and time of day. */
export function realTime({ day, seconds }: { day: number; seconds: number }): RosNanos {
  return DAY1_MIDNIGHT + BigInt(day - 1) * 86_400n * NANOS_PER_SECOND + secondsToNanos(seconds);
}

/** Reads `--day-starts DAY1_A=DAY1-11094208,…`: the real start of recordings whose names do not say it. */
export function parseDayStarts(text: string): Map<string, DayTime> {
  const starts = new Map<string, DayTime>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([^=]+)=(DAY\d+)[-_ ]([\d:.]+)$/i.exec(entry);
    const day = match ? dayNumber(match[2]!) : null;
    const seconds = match ? timeOfDay(match[3]!) : null;
    if (!match || day === null || seconds === null)
      throw new Error(`--day-starts: ${JSON.stringify(entry)} is not <video>=DAYn-HHMMSSff (or DAYn-HH:MM:SS)`);
    starts.set(match[1]!.trim(), { day, seconds });
  }
  return starts;
}
