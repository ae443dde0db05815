/**
 * `taskmem play <recording>`: publishes a rosbag2 recording's camera, audio and pose topics (MCAP, or Humble's
 * SQLite bag: a `.db3` file or the bag directory) into a live ROS 2 graph, with their recorded stamps, for a running
 * memory node (or any other node) to hear. It does what `ros2 bag play` does for these topics, without rosbag2 or
 * its MCAP storage plugin.
 */
import { openRecording } from '../../bag/openRecording.js';
import { loadRclnodejs, type Rclnodejs } from '../../ros/Rclnodejs.js';
import { RecordingPlayer, type PlayOptions } from '../../ros/RecordingPlayer.js';
import { consoleOutput, oneRecording, type CommandOutput } from '../commandArgs.js';
import { EXIT, runCommand, UsageError } from '../exitCodes.js';

export const summary = 'publish a rosbag2 recording (MCAP, .db3 or bag directory) into a live ROS 2 graph (ROS 2 sourced)';

const USAGE = `usage: taskmem play <recording> [--rate <factor>] [--loop] [--clock [<Hz>]] [--topics <t1,t2,…>]
                    [--remap <from>:=<to>]… [--wait-for-subscribers] [--ros-args …]

Publishes the recording's camera, audio (AudioDataStamped with its AudioInfo, or AudioStamped) and pose topics,
each on its recorded topic with the recorded header stamps, spaced as they were recorded. Needs a sourced ROS 2
(rclnodejs set up with \`npm run ros-setup\`, or the installed package: \`ros2 run taskmem taskmem play …\`).
The recording: an MCAP file, or a rosbag2 SQLite bag (Humble's default storage) as its .db3 file or bag directory.

  --rate <factor>          playback speed: 2 plays twice as fast, 0.5 half as fast (default 1)
  --loop                   start again at the end, until Ctrl-C (the stamps jump back, as after a simulation reset)
  --clock [<Hz>]           publish the recording's time on /clock (default 40 Hz), for nodes with use_sim_time:=true
  --topics <t1,t2,…>       the recorded topics to publish (default: every camera, audio and pose topic)
  --remap <from>:=<to>     publish a recorded topic under another name (repeatable), e.g. /camera/image_raw:=/cam
  --wait-for-subscribers   start only when every played topic has a subscriber
  --ros-args …             further ROS arguments for the player node (-r, __ns, …)

exit codes: 0 played to the end; 2 bad arguments or recording, or no usable ROS 2; 130 stopped by Ctrl-C`;

interface PlayArgs extends Omit<PlayOptions, 'signal'> {
  recording: string;
  rosArgs: string[];
}

export function run(args: string[]): Promise<number> {
  return play(args, consoleOutput);
}

/** The command with its output passed in; returns the exit code. */
export function play(args: string[], io: CommandOutput): Promise<number> {
  return runCommand('play', io, async () => {
    const parsed = parseArgs(args);
    if (parsed === 'help') {
      io.out(USAGE);
      return EXIT.ok;
    }
    const { recording: path, rosArgs, ...options } = parsed;
    const recording = await openRecording(path);
    let rclnodejs: Rclnodejs | null = null;
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    try {
      let player: RecordingPlayer;
      try {
        rclnodejs = await loadRclnodejs();
        await rclnodejs.init(undefined, ['node', 'taskmem-play', '--ros-args', ...rosArgs]);
        // Ctrl-C stops playback between two messages; rclnodejs's own handler would shut ROS down under it.
        rclnodejs.removeSignalHandlers();
        const node = new rclnodejs.Node('taskmem_play');
        node.spin();
        player = new RecordingPlayer(rclnodejs, node, recording, { ...options, signal: stop.signal });
      } catch (error) {
        // No ROS 2 sourced, rclnodejs not set up, ROS arguments rcl refuses, a topic the recording lacks or whose
        // message package is not installed: nothing was played.
        io.err(`taskmem play: ${(error as Error).message}`);
        return EXIT.badInput;
      }
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const seconds = Number(recording.identity.end - recording.identity.start) / 1e9;
        io.err(
          `taskmem play: ${recording.name} (${seconds.toFixed(1)} s) at rate ${options.rate ?? 1}${options.loop ? ', looping' : ''}` +
            `${options.clockHz ? `, /clock at ${options.clockHz} Hz` : ''}:\n` +
            player.destinations.map((d) => `  ${d.topic}  ${d.type}`).join('\n') +
            (options.waitForSubscribers ? '\n  waiting for subscribers' : ''),
        );
        const result = await player.play();
        io.err(
          `taskmem play: ${result.stopped ? 'stopped after' : 'published'} ${result.published} messages` +
            (result.passes > 1 ? ` in ${result.passes} passes` : ''),
        );
        return result.stopped ? EXIT.interrupted : EXIT.ok;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    } finally {
      await recording.close();
      if (rclnodejs && !rclnodejs.isShutdown()) rclnodejs.shutdown();
    }
  });
}

function parseArgs(args: string[]): PlayArgs | 'help' {
  const positional: string[] = [];
  const parsed: Omit<PlayArgs, 'recording'> = { rosArgs: [] };
  const value = (i: number, option: string) => {
    const v = args[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`taskmem play: ${option} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--ros-args') {
      parsed.rosArgs.push(...args.slice(i + 1));
      break;
    }
    if (arg === '--rate') {
      parsed.rate = Number(value(++i, arg));
      if (!(parsed.rate > 0)) throw new UsageError(`taskmem play: --rate must be a number above 0, not ${args[i]}`);
    } else if (arg === '--loop') {
      parsed.loop = true;
    } else if (arg === '--clock') {
      const hz = args[i + 1] !== undefined && /^\d+(\.\d+)?$/.test(args[i + 1]!) ? Number(args[++i]) : 40;
      if (!(hz > 0)) throw new UsageError(`taskmem play: --clock needs a rate above 0 Hz, not ${hz}`);
      parsed.clockHz = hz;
    } else if (arg === '--topics') {
      parsed.topics = value(++i, arg)
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
    } else if (arg === '--remap') {
      const rule = value(++i, arg);
      if (!/^[^:]+:=.+$/.test(rule)) throw new UsageError(`taskmem play: --remap takes <from>:=<to>, not ${rule}`);
      parsed.rosArgs.push('-r', rule);
    } else if (arg === '--wait-for-subscribers') {
      parsed.waitForSubscribers = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`taskmem play: unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  return { ...parsed, recording: oneRecording('play', positional) };
}
