import type { Memory } from './Memory.js';
import type { Task } from './MemoryStore.js';

/**
 * A memory as the column values both SQL stores use (pose flattened, quality, transcript and people as JSON), and back.
 * Integer columns may come back as bigint or number depending on the driver; both are accepted.
 */
export function memoryToRow(memory: Memory): Record<string, unknown> {
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

/** The SELECT list (over alias `m`) that `memoryFromRow` reads, with the row number `seq` first. */
export const MEMORY_COLUMNS = `m.seq, m.id, m.robot_id, m.episode, m.segment_index, m.start_ns, m.end_ns, m.created_ns, m.text,
  m.transcript, m.source, m.task_group, m.focus_depth, m.quality, m.pose_stamp, m.pose_frame, m.pose_x, m.pose_y,
  m.pose_z, m.pose_yaw, m.model, m.template, m.people`;

export function memoryFromRow(row: Record<string, unknown>, thumbnails: Uint8Array[]): Memory {
  return {
    id: row.id as string,
    robotId: row.robot_id as string,
    episode: Number(row.episode),
    segmentIndex: Number(row.segment_index),
    start: BigInt(row.start_ns as bigint),
    end: BigInt(row.end_ns as bigint),
    createdAt: BigInt(row.created_ns as bigint),
    text: row.text as string,
    source: row.source as Memory['source'],
    taskGroup: row.task_group as string | null,
    focusDepth: Number(row.focus_depth),
    quality: JSON.parse(row.quality as string) as Memory['quality'],
    pose:
      row.pose_x === null
        ? null
        : {
            stamp: BigInt(row.pose_stamp as bigint),
            frameId: row.pose_frame as string,
            x: row.pose_x as number,
            y: row.pose_y as number,
            z: row.pose_z as number,
            yaw: row.pose_yaw as number,
          },
    model: row.model as string,
    template: row.template as string,
    transcript: JSON.parse(row.transcript as string) as string[],
    people: JSON.parse(row.people as string) as string[],
    thumbnails,
  };
}

/** A row of the tasks table, as both SQL stores read it. */
export function taskFromRow(row: Record<string, unknown>): Task {
  return {
    id: row.id as string,
    robotId: row.robot_id as string,
    stamp: BigInt(row.stamp_ns as bigint | number),
    text: row.text as string,
    group: row.task_group as string,
    kind: row.kind as Task['kind'],
  };
}
