import { McapWriter } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import type { Memory } from '../memory/Memory.js';
import { memoryMarkers } from '../ros/memoryMarkers.js';
import { toMemoryMsg } from '../ros/rosMessages.js';
import type { RosNanos } from '../time.js';
import { FileWritable } from './FileWritable.js';
import { MessageDefinitions } from './MessageDefinitions.js';

const MEMORY_TYPE = 'taskmem/msg/Memory';
const MARKERS_TYPE = 'visualization_msgs/msg/MarkerArray';

/** A channel of the file and the serializer of its type. */
interface Channel {
  id: number;
  serializer: MessageWriter;
}

/**
 * Writes memories into a rosbag2-style MCAP file, each logged at the end of the segment it describes, so that
 * Foxglove shows it on the recording's timeline (open both files together): the taskmem/msg/Memory on `topic`
 * (src/ros/rosMessages.ts `toMemoryMsg`), and, for a memory with a pose, its markers (a sphere and a label in the
 * memory's frame, coloured by task group; memoryMarkers) on `markersTopic`, so the 3D panel shows the memories on
 * the map. Markers add up: each memory's array adds its own.
 * Callers must await each `write` before the next and `close()` at the end; an unclosed file has no index.
 */
export class MemoryMcapWriter {
  readonly path: string;
  readonly #file: FileWritable;
  readonly #mcap: McapWriter;
  readonly #memories: Channel;
  readonly #markers: Channel;
  #sequence = 0;

  private constructor(path: string, file: FileWritable, mcap: McapWriter, memories: Channel, markers: Channel) {
    this.path = path;
    this.#file = file;
    this.#mcap = mcap;
    this.#memories = memories;
    this.#markers = markers;
  }

  static async create(
    path: string,
    {
      topic = '/taskmem/memories',
      markersTopic = '/taskmem/memory_markers',
      definitions = new MessageDefinitions(),
    }: { topic?: string; markersTopic?: string; definitions?: MessageDefinitions } = {},
  ): Promise<MemoryMcapWriter> {
    const file = await FileWritable.create(path);
    const mcap = new McapWriter({ writable: file });
    await mcap.start({ profile: 'ros2', library: 'taskmem' });
    const channel = async (type: string, channelTopic: string): Promise<Channel> => {
      const schemaText = definitions.schemaText(type);
      const schemaId = await mcap.registerSchema({ name: type, encoding: 'ros2msg', data: new TextEncoder().encode(schemaText) });
      const id = await mcap.registerChannel({ topic: channelTopic, schemaId, messageEncoding: 'cdr', metadata: new Map() });
      return { id, serializer: new MessageWriter(parse(schemaText, { ros2: true })) };
    };
    const memories = await channel(MEMORY_TYPE, topic);
    const markers = await channel(MARKERS_TYPE, markersTopic);
    return new MemoryMcapWriter(path, file, mcap, memories, markers);
  }

  async write(memory: Memory): Promise<void> {
    await this.#add(this.#memories, memory.end, toMemoryMsg(memory));
    if (memory.pose)
      await this.#add(this.#markers, memory.end, memoryMarkers([memory], { now: memory.end, colouring: 'task_group', replace: false }));
  }

  async #add(channel: Channel, logTime: RosNanos, message: unknown): Promise<void> {
    await this.#mcap.addMessage({
      channelId: channel.id,
      sequence: this.#sequence++,
      logTime,
      publishTime: logTime,
      data: channel.serializer.writeMessage(message),
    });
  }

  async close(): Promise<void> {
    await this.#mcap.end();
    await this.#file.close();
  }
}
