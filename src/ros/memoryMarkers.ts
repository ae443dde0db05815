import type * as rcl from 'rclnodejs';
import type { Evidence } from '../answer/Answer.js';
import type { Memory } from '../memory/Memory.js';
import type { Pose } from '../segment/Segment.js';
import { formatStamp, toRosTime, type RosNanos } from '../time.js';
import { poseStampedMsg } from './rosMessages.js';

type Marker = rcl.visualization_msgs.msg.Marker;
type MarkerArray = rcl.visualization_msgs.msg.MarkerArray;
type Colour = rcl.std_msgs.msg.ColorRGBA;

/** visualization_msgs/msg/Marker constants (the message's, as rclnodejs has them only at run time). */
const SPHERE = 2;
const TEXT_VIEW_FACING = 9;
const ADD = 0;
const DELETEALL = 3;

/** Words of a memory's text in its label. */
const LABEL_WORDS = 8;
/** Memories older than this are drawn in the oldest colour. */
const AGE_SPAN_NS = 24n * 3600n * 1_000_000_000n;
/** Height of a label above its memory's sphere, metres. */
const LABEL_LIFT = 0.35;

/** How memory markers are coloured: by age (new green, day-old grey) or by task group (one hue per group). */
export type MarkerColouring = 'age' | 'task_group';

/**
 * One sphere and one text label per memory with a pose, in the memory's frame (`~/memory_markers`, and
 * `ingest --memories-out`): the label gives the memory's start time and the first words of its text. With
 * `replace` (the node's topic) the array starts with a DELETEALL, so that a viewer keeps exactly the memories of
 * the latest array (a forgotten memory disappears); without it (a recording, one array per memory) markers add up.
 * Marker ids are stable per memory, in namespaces `taskmem_memories` and `taskmem_memories_labels`.
 */
export function memoryMarkers(
  memories: readonly Memory[],
  { now, colouring, replace = true }: { now: RosNanos; colouring: MarkerColouring; replace?: boolean },
): MarkerArray {
  const markers: Marker[] = replace ? [clearAll(now)] : [];
  for (const memory of memories) {
    if (!memory.pose) continue;
    const colour = colouring === 'age' ? ageColour(now - memory.createdAt) : groupColour(memory.taskGroup);
    markers.push(...memoryPair(memory.id, memory.pose, label(memory.start, memory.text), colour, 0.25, 'taskmem_memories'));
  }
  return { markers };
}

/**
 * The evidence of one answer (`~/answer_markers`): each memory with a pose as a larger yellow sphere labelled with
 * its rank, robot and first words, replacing the previous answer's markers.
 */
export function answerMarkers(evidence: readonly Evidence[], { now }: { now: RosNanos }): MarkerArray {
  const markers: Marker[] = [clearAll(now)];
  evidence.forEach((e, rank) => {
    if (!e.pose) return;
    markers.push(
      ...memoryPair(e.memoryId, e.pose, `#${rank + 1} ${e.robotId} ${label(e.start, e.text)}`, HIGHLIGHT, 0.5, 'taskmem_evidence'),
    );
  });
  return { markers };
}

const HIGHLIGHT: Colour = { r: 1, g: 0.85, b: 0, a: 1 };

function memoryPair(id: string, pose: Pose, text: string, colour: Colour, size: number, ns: string): [Marker, Marker] {
  const at = poseStampedMsg(pose);
  const markerId = stableId(id);
  const sphere = marker({ ns, id: markerId, type: SPHERE, header: at.header, pose: at.pose, scale: size, colour });
  const above = { ...at.pose, position: { ...at.pose.position, z: at.pose.position.z + LABEL_LIFT + size / 2 } };
  const labelMarker = marker({
    ns: `${ns}_labels`,
    id: markerId,
    type: TEXT_VIEW_FACING,
    header: at.header,
    pose: above,
    // A text marker's height is scale.z.
    scale: 0.15,
    colour: { r: 1, g: 1, b: 1, a: 1 },
  });
  labelMarker.text = text;
  return [sphere, labelMarker];
}

function clearAll(now: RosNanos): Marker {
  return marker({
    ns: '',
    id: 0,
    type: SPHERE,
    header: { stamp: toRosTime(now), frame_id: '' },
    pose: poseStampedMsg(null).pose,
    scale: 0,
    colour: { r: 0, g: 0, b: 0, a: 0 },
    action: DELETEALL,
  });
}

function marker(fields: {
  ns: string;
  id: number;
  type: number;
  header: rcl.std_msgs.msg.Header;
  pose: rcl.geometry_msgs.msg.Pose;
  scale: number;
  colour: Colour;
  action?: number;
}): Marker {
  return {
    header: fields.header,
    ns: fields.ns,
    id: fields.id,
    type: fields.type,
    action: fields.action ?? ADD,
    pose: fields.pose,
    scale: { x: fields.scale, y: fields.scale, z: fields.scale },
    color: fields.colour,
    lifetime: { sec: 0, nanosec: 0 },
    frame_locked: false,
    points: [],
    colors: [],
    texture_resource: '',
    texture: { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format: '', data: [] },
    uv_coordinates: [],
    text: '',
    mesh_resource: '',
    mesh_file: { filename: '', data: [] },
    mesh_use_embedded_materials: false,
  };
}

/** "2026-11-21 14:03:10 The robot places the red toolbox…": when, and the first words. */
function label(start: RosNanos, text: string): string {
  const words = text.split(/\s+/).filter((w) => w !== '');
  return `${formatStamp(start)} ${words.slice(0, LABEL_WORDS).join(' ')}${words.length > LABEL_WORDS ? '…' : ''}`;
}

/** Green when new, fading to grey at AGE_SPAN_NS and beyond. */
function ageColour(age: RosNanos): Colour {
  const old = Math.min(1, Math.max(0, Number(age) / Number(AGE_SPAN_NS)));
  return { r: 0.2 + 0.4 * old, g: 0.9 - 0.3 * old, b: 0.3 + 0.3 * old, a: 0.9 };
}

/** One hue per task group (the same group, the same colour, in every run); white without a group. */
function groupColour(group: string | null): Colour {
  if (group === null) return { r: 0.85, g: 0.85, b: 0.85, a: 0.9 };
  const hue = (stableId(group) % 360) / 60;
  const x = 1 - Math.abs((hue % 2) - 1);
  const [r, g, b] = hue < 1 ? [1, x, 0] : hue < 2 ? [x, 1, 0] : hue < 3 ? [0, 1, x] : hue < 4 ? [0, x, 1] : hue < 5 ? [x, 0, 1] : [1, 0, x];
  return { r, g, b, a: 0.9 };
}

/** A marker id that stays the same for a memory id across runs and processes (FNV-1a, 31 bits: int32, positive). */
function stableId(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h & 0x7fffffff;
}
