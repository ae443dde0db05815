import { McapWriter } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import type * as rcl from 'rclnodejs';
import { fromRosTime } from '../time.js';
import { FileWritable } from './FileWritable.js';
import { MessageDefinitions } from './MessageDefinitions.js';

const MEMORY_TYPE = 'taskmem/msg/Memory';

/**
 * Writes taskmem/msg/Memory messages (src/ros/rosMessages.ts `toMemoryMsg`) into a rosbag2-style MCAP file, each
 * logged at the end of the segment it describes, so that Foxglove shows it on the recording's timeline (open
 * both files together).
 * Callers must await each `write` before the next and `close()` at the end; an unclosed file has no index.
 */
export class MemoryMcapWriter {
  readonly path: string;
  readonly #file: FileWritable;
  readonly #mcap: McapWriter;
  readonly #serializer: MessageWriter;
  readonly #channelId: number;
  #sequence = 0;

  private constructor(path: string, file: FileWritable, mcap: McapWriter, serializer: MessageWriter, channelId: number) {
    this.path = path;
    this.#file = file;
    this.#mcap = mcap;
    this.#serializer = serializer;
    this.#channelId = channelId;
  }

  static async create(
    path: string,
    { topic = '/taskmem/memories', definitions = new MessageDefinitions() }: { topic?: string; definitions?: MessageDefinitions } = {},
  ): Promise<MemoryMcapWriter> {
    const schemaText = definitions.schemaText(MEMORY_TYPE);
    const serializer = new MessageWriter(parse(schemaText, { ros2: true }));
    const file = await FileWritable.create(path);
    const mcap = new McapWriter({ writable: file });
    await mcap.start({ profile: 'ros2', library: 'taskmem' });
    const schemaId = await mcap.registerSchema({ name: MEMORY_TYPE, encoding: 'ros2msg', data: new TextEncoder().encode(schemaText) });
    const channelId = await mcap.registerChannel({ topic, schemaId, messageEncoding: 'cdr', metadata: new Map() });
    return new MemoryMcapWriter(path, file, mcap, serializer, channelId);
  }

  async write(message: rcl.taskmem.msg.Memory): Promise<void> {
    const end = fromRosTime(message.end);
    await this.#mcap.addMessage({
      channelId: this.#channelId,
      sequence: this.#sequence++,
      logTime: end,
      publishTime: end,
      data: this.#serializer.writeMessage(message),
    });
  }

  async close(): Promise<void> {
    await this.#mcap.end();
    await this.#file.close();
  }
}
