import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMcapWriter } from './MemoryMcapWriter.js';
import { McapRecording } from './McapRecording.js';
import type * as rcl from 'rclnodejs';
import type { MemoryMsg } from '../ros/rosMessages.js';
import { memoryId, type Memory } from '../memory/Memory.js';
import { fromRosTime, NANOS_PER_SECOND } from '../time.js';

function memory(start: bigint, text: string, withPose: boolean): Memory {
  return {
    id: memoryId('r1', 2, start),
    robotId: 'r1',
    episode: 2,
    segmentIndex: 0,
    start,
    end: start + 10n * NANOS_PER_SECOND,
    createdAt: start + 11n * NANOS_PER_SECOND,
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: null, preference: null, descriptionTokens: 7 },
    pose: withPose ? { stamp: start + 5n * NANOS_PER_SECOND, frameId: 'map', x: 1.5, y: -2, z: 0, yaw: Math.PI / 2 } : null,
    model: 'policy-1',
    template: 'memorize@1',
    transcript: ['[unknown] hello there'],
    people: [],
    thumbnails: [],
  };
}

describe('MemoryMcapWriter', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskmem-memout-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes memories as taskmem/msg/Memory on the recording timeline, and each posed memory as markers on the map, readable back', async () => {
    const path = join(dir, 'memories.mcap');
    const t0 = 1_750_000_000n * NANOS_PER_SECOND;
    const writer = await MemoryMcapWriter.create(path);
    await writer.write(memory(t0, 'A person puts keys on the table.', true));
    await writer.write(memory(t0 + 10n * NANOS_PER_SECOND, 'They leave through the door.', false));
    await writer.close();

    const recording = await McapRecording.open(path);
    try {
      assert.deepEqual(
        recording.channels.map(({ schema: _, ...channel }) => channel),
        [
          { topic: '/taskmem/memories', type: 'taskmem/msg/Memory', messageCount: 2 },
          { topic: '/taskmem/memory_markers', type: 'visualization_msgs/msg/MarkerArray', messageCount: 1 },
        ],
      );
      assert.equal(recording.channels[0]!.schema?.encoding, 'ros2msg');
      const read: { logTime: bigint; message: MemoryMsg }[] = [];
      for await (const m of recording.messages({ topics: ['/taskmem/memories'] }))
        read.push({ logTime: m.logTime, message: m.message as MemoryMsg });
      assert.deepEqual(
        read.map((r) => r.logTime),
        [t0 + 10n * NANOS_PER_SECOND, t0 + 20n * NANOS_PER_SECOND],
      );
      const first = read[0]!.message;
      assert.equal(first.text, 'A person puts keys on the table.');
      assert.equal(first.id, `r1/2/${t0}`);
      assert.equal(fromRosTime(first.start), t0);
      assert.equal(first.hygiene, -1);
      assert.ok(Number.isNaN(first.preference));
      assert.equal(first.has_pose, true);
      assert.equal(first.pose.pose.position.x, 1.5);
      assert.ok(Math.abs(first.pose.pose.orientation.z - Math.SQRT1_2) < 1e-9);
      assert.deepEqual(first.transcript, ['[unknown] hello there']);
      assert.equal(read[1]!.message.has_pose, false);

      // Only the memory with a pose is on the map: a sphere where it happened and a label, in its frame.
      const arrays: { logTime: bigint; markers: rcl.visualization_msgs.msg.Marker[] }[] = [];
      for await (const m of recording.messages({ topics: ['/taskmem/memory_markers'] }))
        arrays.push({ logTime: m.logTime, markers: (m.message as rcl.visualization_msgs.msg.MarkerArray).markers });
      assert.deepEqual(
        arrays.map((a) => a.logTime),
        [t0 + 10n * NANOS_PER_SECOND],
      );
      const [sphere, label] = arrays[0]!.markers;
      assert.deepEqual(
        [sphere!.type, sphere!.action, sphere!.header.frame_id, sphere!.pose.position.x],
        [2, 0, first.pose.header.frame_id, 1.5],
      );
      assert.equal(label!.type, 9);
      assert.equal(label!.id, sphere!.id);
      assert.match(label!.text, /^2025-06-15T15:06:40\.000Z A person puts keys on the table\.$/);
    } finally {
      await recording.close();
    }
  });
});
