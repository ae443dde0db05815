#!/usr/bin/env node
/**
 * The memory node's entry point: `node dist/src/ros/main.js --ros-args ...`, as `ros2 run taskmem memory_node`
 * and launch/memory.launch.py start it. Loads rclnodejs (ROS 2 must be sourced), starts the node with the
 * stages the parameters describe, and stops it cleanly on SIGINT or SIGTERM.
 *
 * A Ctrl-C under `ros2 launch` delivers SIGINT twice (the terminal signals the whole process group, and launch
 * forwards one to each process it started), so a repeated SIGINT during the clean stop is ignored; launch's
 * escalation after its timeout, SIGTERM, ends the process at once, as does a SIGTERM after the first signal.
 */
import { redactCredentials } from '../text/redactCredentials.js';
import { terminalSafe } from '../text/terminalSafe.js';
import { MemoryNode } from './MemoryNode.js';
import { loadRclnodejs } from './Rclnodejs.js';

/** Exit status of a process ended by SIGTERM (128 + 15), as a shell reports it. */
const TERMINATED = 143;

async function main(): Promise<number> {
  let node: MemoryNode;
  try {
    const rclnodejs = await loadRclnodejs();
    node = await MemoryNode.start({ rclnodejs });
  } catch (error) {
    // The reason it could not start; a store or endpoint URL in it is shown without credentials.
    console.error(terminalSafe(redactCredentials(error instanceof Error ? error.message : String(error))));
    return 1;
  }
  const logger = node.node.getLogger();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    let first: NodeJS.Signals | null = null;
    const onSignal = (received: NodeJS.Signals) => {
      if (first === null) {
        first = received;
        resolve(received);
      } else if (received === 'SIGTERM') {
        console.error('taskmem: SIGTERM during shutdown: exiting now');
        process.exit(TERMINATED);
      } else {
        console.error(`taskmem: ${received} again: already shutting down`);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  logger.info(`taskmem: ${signal} received`);
  await node.shutdown();
  return 0;
}

process.exitCode = await main();
