/**
 * The colcon workspace the real-graph tests run against, built once per test run exactly as README.md's
 * "Install on a robot" section says, in a scratch HOME (so `~/ros2_ws` is a temporary folder): its commands up to
 * `ros2 launch` are taken from the README and run in one bash, with `<this repository>` standing for a git
 * repository holding a snapshot of this working tree (tracked and untracked files, not ignored ones), so that
 * what is tested is what is checked out. TASKMEM_ROS_WORKSPACE=<workspace> skips the build and uses that
 * workspace's install instead (for iterating on the tests).
 *
 * Needs a sourced ROS 2 (ROS_DISTRO, AMENT_PREFIX_PATH); without one, describeRealGraph defines no tests and says
 * once how to enable them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../../scripts/generate-ros-types.js';

export interface RosWorkspace {
  /** The HOME the tests' processes run with (its ~/.ros, and ~/ros2_ws when the README built it). */
  home: string;
  /** The colcon workspace; its install/ holds taskmem. */
  ws: string;
  /** install/taskmem/share/taskmem. */
  share: string;
  /** The environment the README leaves (ROS and the workspace sourced), with this run's ROS_DOMAIN_ID. */
  env: NodeJS.ProcessEnv;
  /** Seconds the README's install commands took; null when TASKMEM_ROS_WORKSPACE was given. */
  buildSeconds: number | null;
  /** The README's commands after the install: starting the node and asking it a question. */
  readme: { launch: string; ask: string };
}

/**
 * The DDS domain of this test run, never the one the shell uses (which may be a robot's):
 * TASKMEM_TEST_ROS_DOMAIN_ID, or one from the process id so that runs side by side do not hear each other.
 */
export const TEST_DOMAIN_ID = process.env['TASKMEM_TEST_ROS_DOMAIN_ID'] ?? String(1 + (process.pid % 100));

const ENABLE_HINT =
  'source a ROS 2 Jazzy (on this project\'s machines: bash ../shared/ros2/install.sh, then the environment in docs/ros.md "Tests on a real ROS 2 graph") and run npm test again';

/** Why the real-graph tests cannot run here, or null when they can. */
function realGraphUnavailable(): string | null {
  if (process.env['ROS_DISTRO'] && process.env['AMENT_PREFIX_PATH']) return null;
  const installed = ['/opt/ros/jazzy', '/opt/ros/humble'].find((prefix) => existsSync(join(prefix, 'setup.bash')));
  return installed ? `ROS 2 is installed in ${installed} but not sourced` : 'no ROS 2 is sourced';
}

let skipNoted = false;

/** `describe` for tests on a real ROS 2 graph; without ROS 2, one skipped line (for all of them) says how to enable them. */
export function describeRealGraph(title: string, fn: (this: Mocha.Suite) => void): void {
  const why = realGraphUnavailable();
  if (why === null) {
    describe(title, fn);
  } else if (!skipNoted) {
    skipNoted = true;
    it.skip(`real ROS 2 graph tests: skipped, ${why}; to run them, ${ENABLE_HINT}`);
  }
}

/** The README's "Install on a robot" commands: the install (up to `ros2 launch`), the launch and the question. */
export function readmeInstallCommands(readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')): {
  install: string[];
  launch: string;
  ask: string;
} {
  const section = /^## Install on a robot[^\n]*\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  const block = section && /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no bash block under "## Install on a robot"');
  const commands = block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const launchAt = commands.findIndex((c) => c.startsWith('ros2 launch '));
  const ask = commands.find((c) => c.startsWith('ros2 action send_goal '));
  if (launchAt < 0 || !ask) throw new Error('README.md "Install on a robot" lacks its ros2 launch or ros2 action send_goal line');
  return { install: commands.slice(0, launchAt), launch: commands[launchAt]!, ask };
}

let built: Promise<RosWorkspace> | undefined;

/** The workspace, built on first use (the README's install takes minutes). */
export function rosWorkspace(): Promise<RosWorkspace> {
  built ??= prepare();
  return built;
}

async function prepare(): Promise<RosWorkspace> {
  const home = mkdtempSync(join(tmpdir(), 'taskmem-ros-home-'));
  process.once('exit', () => rmSync(home, { recursive: true, force: true }));
  const given = process.env['TASKMEM_ROS_WORKSPACE'];
  const { launch, ask } = readmeInstallCommands();
  if (given) {
    const env = sourcedEnv(join(given, 'install/setup.bash'), home);
    return { home, ws: given, share: join(given, 'install/taskmem/share/taskmem'), env, buildSeconds: null, readme: { launch, ask } };
  }
  const source = snapshotRepository(join(home, 'taskmem-source'));
  const { install } = readmeInstallCommands();
  const envFile = join(home, 'readme.env');
  const script = [
    'set -e',
    ...install.map((c) => c.replaceAll('<this repository>', source)),
    // What the README's commands leave in the shell, for the tests' processes.
    `env -0 > '${envFile}'`,
  ].join('\n');
  writeFileSync(join(home, 'readme-install.sh'), script);
  const started = Date.now();
  const log = join(home, 'readme-install.log');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('bash', [join(home, 'readme-install.sh')], {
      cwd: home,
      env: { ...process.env, HOME: home, ROS_DOMAIN_ID: TEST_DOMAIN_ID, npm_config_cache: npmCache() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('close', (c) => {
      writeFileSync(log, Buffer.concat(chunks));
      resolve(c);
    });
  });
  if (code !== 0) {
    const tail = readFileSync(log, 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`README "Install on a robot" failed (exit ${code}):\n${script}\n--- last lines of its output ---\n${tail}`);
  }
  const ws = join(home, 'ros2_ws');
  const env = parseEnv(readFileSync(envFile), home);
  return {
    home,
    ws,
    share: join(ws, 'install/taskmem/share/taskmem'),
    env,
    buildSeconds: (Date.now() - started) / 1000,
    readme: { launch, ask },
  };
}

/** A git repository at `dir` whose one commit holds this working tree's tracked and untracked, not ignored files. */
function snapshotRepository(dir: string): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(repoRoot, f)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(dir, file));
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=taskmem tests', '-c', 'user.email=tests@taskmem.invalid', ...args], { cwd: dir });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'snapshot of the working tree under test');
  return dir;
}

/** npm's cache of the calling user, so that the README's `npm ci` under the scratch HOME needs no download. */
function npmCache(): string {
  return execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
}

function sourcedEnv(setup: string, home: string): NodeJS.ProcessEnv {
  if (!existsSync(setup)) throw new Error(`TASKMEM_ROS_WORKSPACE: ${setup} does not exist; build the workspace first`);
  const result = spawnSync('bash', ['-c', `set +u; source '${setup}' && env -0`], { env: process.env, maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`sourcing ${setup} failed: ${result.stderr.toString()}`);
  return parseEnv(result.stdout, home);
}

function parseEnv(data: Buffer, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of data.toString('utf8').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return { ...env, HOME: home, ROS_DOMAIN_ID: TEST_DOMAIN_ID, ROS_LOG_DIR: join(home, '.ros/log') };
}
