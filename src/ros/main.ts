#!/usr/bin/env node
/**
 * The memory node's entry point: `node dist/src/ros/main.js --ros-args ...`, as `ros2 run taskmem memory_node`
 * and launch/memory.launch.py start it. Loads rclnodejs (ROS 2 must be sourced), starts the node with the
 * stages the parameters describe, and stops it cleanly on SIGINT or SIGTERM; a second signal ends the process
 * at once.
 */
import { redactCredentials } from '../text/redactCredentials.js';
import { terminalSafe } from '../text/terminalSafe.js';
import { MemoryNode } from './MemoryNode.js';
import { loadRclnodejs } from './Rclnodejs.js';

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
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  node.node.getLogger().info(`taskmem: ${signal} received`);
  await node.shutdown();
  return 0;
}

process.exitCode = await main();
