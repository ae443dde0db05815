import type { Memory } from './Memory.js';
import type { SqlInteger, SqlParams } from './sql/SqlConnection.js';

/** A memory as the column values both SQL stores use (pose flattened, quality, transcript and people as JSON). */
export function memoryToRow(memory: Memory): SqlParams {
  return {
    id: memory.id,
    robot_id: memory.robotId,
    episode: memory.episode,
    segment_index: memory.segmentIndex,
    start_ns: memory.start,
    end_ns: memory.end,
    created_ns: memory.createdAt,
    text: memory.text,
    transcript: JSON.stringify(memory.transcript),
    source: memory.source,
    task_group: memory.taskGroup,
    focus_depth: memory.focusDepth,
    quality: JSON.stringify(memory.quality),
    pose_stamp: memory.pose?.stamp ?? null,
    pose_frame: memory.pose?.frameId ?? null,
    pose_x: memory.pose?.x ?? null,
    pose_y: memory.pose?.y ?? null,
    pose_z: memory.pose?.z ?? null,
    pose_yaw: memory.pose?.yaw ?? null,
    model: memory.model,
    template: memory.template,
    people: JSON.stringify(memory.people),
  };
}

/** The columns `MEMORY_COLUMNS` selects, as either driver reads them. */
export interface MemoryRow {
  seq: SqlInteger;
  id: string;
  robot_id: string;
  episode: SqlInteger;
  segment_index: SqlInteger;
  start_ns: SqlInteger;
  end_ns: SqlInteger;
  created_ns: SqlInteger;
  text: string;
  transcript: string;
  source: Memory['source'];
  task_group: string | null;
  focus_depth: SqlInteger;
  quality: string;
  pose_stamp: SqlInteger | null;
  pose_frame: string | null;
  pose_x: number | null;
  pose_y: number | null;
  pose_z: number | null;
  pose_yaw: number | null;
  model: string;
  template: string;
  people: string;
}

/** The SELECT list (over alias `m`) of a `MemoryRow`, with the row number `seq` first. */
export const MEMORY_COLUMNS = `m.seq, m.id, m.robot_id, m.episode, m.segment_index, m.start_ns, m.end_ns, m.created_ns, m.text,
  m.transcript, m.source, m.task_group, m.focus_depth, m.quality, m.pose_stamp, m.pose_frame, m.pose_x, m.pose_y,
  m.pose_z, m.pose_yaw, m.model, m.template, m.people`;

export function memoryFromRow(row: MemoryRow, thumbnails: Uint8Array[]): Memory {
  return {
    id: row.id,
    robotId: row.robot_id,
    episode: Number(row.episode),
    segmentIndex: Number(row.segment_index),
    start: BigInt(row.start_ns),
    end: BigInt(row.end_ns),
    createdAt: BigInt(row.created_ns),
    text: row.text,
    source: row.source,
    taskGroup: row.task_group,
    focusDepth: Number(row.focus_depth),
    quality: JSON.parse(row.quality) as Memory['quality'],
    pose:
      row.pose_x === null
        ? null
        : {
            stamp: BigInt(row.pose_stamp!),
            frameId: row.pose_frame!,
            x: row.pose_x,
            y: row.pose_y!,
            z: row.pose_z!,
            yaw: row.pose_yaw!,
          },
    model: row.model,
    template: row.template,
    transcript: JSON.parse(row.transcript) as string[],
    people: JSON.parse(row.people) as string[],
    thumbnails,
  };
}
