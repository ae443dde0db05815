import { open, type FileHandle } from 'node:fs/promises';
import type { IReadable } from '@mcap/core';

/**
 * Random access to a file for `McapIndexedReader`: only the ranges the reader asks for are read, so a recording
 * of any size is streamed without being loaded into memory. Callers must `close()` it.
 */
export class FileReadable implements IReadable {
  readonly #handle: FileHandle;
  readonly #size: bigint;

  private constructor(handle: FileHandle, size: bigint) {
    this.#handle = handle;
    this.#size = size;
  }

  static async open(path: string): Promise<FileReadable> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new FileReadable(handle, BigInt(size));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async size(): Promise<bigint> {
    return this.#size;
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset + size > this.#size) {
      throw new Error(`FileReadable#read: range ${offset}+${size} runs past the end of the file (${this.#size} bytes)`);
    }
    // Every byte is overwritten by the read below: skip zero-filling (chunks of camera frames are megabytes).
    const buffer = Buffer.allocUnsafeSlow(Number(size));
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.#handle.read(buffer, done, buffer.length - done, Number(offset) + done);
      if (bytesRead === 0) throw new Error(`FileReadable#read: file ended at ${Number(offset) + done} (it shrank while being read)`);
      done += bytesRead;
    }
    return buffer;
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}
