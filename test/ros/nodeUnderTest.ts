/**
 * Starts the memory node inside the rclnodejs double with the stages its parameters describe (src/assembly): a
 * real SQLite file, the real pipeline and policy memorizer talking HTTP to the stand-in model server, the real
 * answerer. A test node on the same graph plays the robot's drivers and clients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Memory } from '../../src/memory/Memory.js';
import { MemoryNode } from '../../src/ros/MemoryNode.js';
import type { RosNanos } from '../../src/time.js';
import { RclnodejsDouble, RosGraph, type DoubleNode } from '../support/rclnodejs-double/index.js';
import { StandInModelServer } from '../support/StandInModelServer.js';

export interface Harness {
  graph: RosGraph;
  process: RclnodejsDouble;
  node: MemoryNode;
  tester: DoubleNode;
  server: StandInModelServer;
  dbPath: string;
  /** Starts another run of the node on the same store (a restart). */
  restart(argv?: string[]): Promise<{ process: RclnodejsDouble; node: MemoryNode }>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  argv?: string[];
  /** An answering model behind the stand-in server; otherwise answers are the ranked evidence. */
  answerModel?: boolean;
  /** An embedding model behind the stand-in server (embedding.url, embedding.model); otherwise no embedding source. */
  embeddingModel?: string;
  shutdownGraceMs?: number;
  /** Writes into the store file before the node opens it (tasks logged earlier, memories of an earlier run). */
  seed?: (dbPath: string) => Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const server = await new StandInModelServer().start();
  const dir = mkdtempSync(join(tmpdir(), 'taskmem-ros-'));
  const dbPath = join(dir, 'memory.sqlite');
  const graph = new RosGraph();
  const tester = await RclnodejsDouble.node(graph, 'tester');
  const baseArgv = [
    'node',
    'main.js',
    '--ros-args',
    '-p',
    `store.path:=${dbPath}`,
    '-p',
    `memorizer.url:=${server.url}`,
    '-p',
    'memorizer.retries:=0',
    '-p',
    'memorizer.fallback:=false',
    ...(options.answerModel ? ['-p', `answerer.url:=${server.url}`, '-p', 'answerer.model:=stand-in'] : []),
    ...(options.embeddingModel ? ['-p', `embedding.url:=${server.url}`, '-p', `embedding.model:=${options.embeddingModel}`] : []),
  ];
  const launch = async (argv: string[]) => {
    const process = new RclnodejsDouble(graph);
    const node = await MemoryNode.start({
      rclnodejs: process.rclnodejs,
      env: {},
      argv: [...baseArgv, ...argv],
      ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
    });
    return { process, node };
  };
  let current: { process: RclnodejsDouble; node: MemoryNode };
  try {
    await options.seed?.(dbPath);
    current = await launch(options.argv ?? []);
  } catch (error) {
    tester.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    graph,
    get process() {
      return current.process;
    },
    get node() {
      return current.node;
    },
    tester,
    server,
    dbPath,
    restart: async (argv = options.argv ?? []) => {
      await current.node.shutdown();
      current = await launch(argv);
      return current;
    },
    stop: async () => {
      await current.node.shutdown();
      tester.destroy();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A memory as the pipeline would have stored it. */
export function memoryAt(robotId: string, episode: number, startS: number, text: string, createdS = startS + 10): Memory {
  const start = BigInt(startS) * 1_000_000_000n;
  return {
    id: `${robotId}/${episode}/${start}`,
    robotId,
    episode,
    segmentIndex: 0,
    start,
    end: start + 10_000_000_000n,
    createdAt: BigInt(createdS) * 1_000_000_000n,
    text,
    source: 'policy',
    taskGroup: null,
    focusDepth: 0,
    quality: { format: true, hygiene: null, preference: null, descriptionTokens: 8 },
    pose: null,
    model: 'stand-in',
    template: 'memorize@1',
    transcript: [],
    people: [],
    thumbnails: [],
  };
}

/** Waits until `predicate` holds, polling the event loop; fails after `timeoutMs` with `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const seconds = (s: number): RosNanos => BigInt(Math.round(s * 1e9));
