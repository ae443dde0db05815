import { open, type FileHandle } from 'node:fs/promises';
import type { IWritable } from '@mcap/core';

/**
 * Sequential file output for `McapWriter`. The writer emits many small records; they are gathered and written
 * in blocks of `blockSize` bytes. `close()` writes what is left and syncs the file to disk.
 */
export class FileWritable implements IWritable {
  readonly #handle: FileHandle;
  readonly #blockSize: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #position = 0n;

  private constructor(handle: FileHandle, blockSize: number) {
    this.#handle = handle;
    this.#blockSize = blockSize;
  }

  /** Creates (or truncates) the file at `path`. */
  static async create(path: string, { blockSize = 1 << 20 }: { blockSize?: number } = {}): Promise<FileWritable> {
    return new FileWritable(await open(path, 'w'), blockSize);
  }

  async write(buffer: Uint8Array): Promise<void> {
    // McapWriter may reuse its buffer after write resolves: keep a copy.
    this.#pending.push(buffer.slice());
    this.#pendingBytes += buffer.length;
    this.#position += BigInt(buffer.length);
    if (this.#pendingBytes >= this.#blockSize) await this.#flush();
  }

  position(): bigint {
    return this.#position;
  }

  async close(): Promise<void> {
    await this.#flush();
    await this.#handle.sync();
    await this.#handle.close();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const block = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#handle.write(block);
  }
}
