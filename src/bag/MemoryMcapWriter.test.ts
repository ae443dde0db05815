import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMcapWriter } from './MemoryMcapWriter.js';
import { McapRecording } from './McapRecording.js';
import { toMemoryMsg, type MemoryMsg } from '../ros/rosMessages.js';
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

  it('writes memories as taskmem/msg/Memory on the recording timeline, readable back', async () => {
    const path = join(dir, 'memories.mcap');
    const t0 = 1_750_000_000n * NANOS_PER_SECOND;
    const writer = await MemoryMcapWriter.create(path);
    await writer.write(toMemoryMsg(memory(t0, 'A person puts keys on the table.', true)));
    await writer.write(toMemoryMsg(memory(t0 + 10n * NANOS_PER_SECOND, 'They leave through the door.', false)));
    await writer.close();

    const recording = await McapRecording.open(path);
    try {
      assert.deepEqual(
        recording.channels.map(({ schema: _, ...channel }) => channel),
        [{ topic: '/taskmem/memories', type: 'taskmem/msg/Memory', messageCount: 2 }],
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
    } finally {
      await recording.close();
    }
  });
});
