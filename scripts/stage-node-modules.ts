/**
 * Copies the node_modules/ that the installed node needs into a staging folder, for CMakeLists.txt to install into
 * share/taskmem/: taskmem's production dependencies and rclnodejs (a development and optional peer dependency, so
 * that `npm ci` works without ROS) with everything they depend on, as npm's own dependency graph says
 * (`npm query`). Left out: development dependencies, binaries of onnxruntime-node for other platforms, the object
 * files of native builds, and rclnodejs's generated messages (the install step generates them again over the
 * install prefix, so that they include taskmem's own interfaces).
 *
 * Usage: tsx scripts/stage-node-modules.ts <package folder> <staging folder>   (replaces <staging folder>/node_modules)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths inside a package that the installed node never reads, by package name ('*' for every package). */
const LEFT_OUT: Record<string, (path: string) => boolean> = {
  // Native build intermediates next to the built addon (node-gyp's Release/obj, obj.target and .deps).
  '*': (path) => /^build\/Release\/(obj|obj\.target|\.deps)(\/|$)/.test(path),
  // Generated again over the install prefix by the install step.
  rclnodejs: (path) => path === 'generated' || path.startsWith('generated/'),
  // onnxruntime-node ships its runtime for every platform (about 290 MB); this machine's is enough.
  'onnxruntime-node': (path) => {
    const [bin, napi, platform, arch] = path.split('/');
    if (bin !== 'bin' || napi === undefined || platform === undefined) return false;
    return platform !== process.platform || (arch !== undefined && arch !== process.arch);
  },
};

interface QueriedPackage {
  name: string;
  location: string;
}

/** Package locations (`node_modules/a`, `node_modules/a/node_modules/b`) the installed node needs. */
export function installedPackages(packageDir: string): QueriedPackage[] {
  const output = execFileSync('npm', ['query', '.prod, #rclnodejs, #rclnodejs *'], {
    cwd: packageDir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const packages = (JSON.parse(output) as QueriedPackage[]).filter((p) => p.location !== '');
  if (!packages.some((p) => p.name === 'rclnodejs')) {
    throw new Error(`stage-node-modules: rclnodejs is not installed in ${packageDir}/node_modules; run \`npm ci\` there first`);
  }
  return [...new Map(packages.map((p) => [p.location, p])).values()];
}

/** Copies the needed packages of `packageDir`'s node_modules into `stagingDir`/node_modules; returns their count. */
export function stageNodeModules(packageDir: string, stagingDir: string): number {
  const packages = installedPackages(packageDir);
  const target = join(stagingDir, 'node_modules');
  rmSync(target, { recursive: true, force: true });
  for (const { name, location } of packages) {
    const from = join(packageDir, location);
    const leftOut = [LEFT_OUT['*']!, LEFT_OUT[name]].filter((f) => f !== undefined);
    cpSync(from, join(stagingDir, location), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => {
        const inside = relative(from, source).split(sep).join('/');
        if (inside === '') return true;
        // Nested node_modules are packages of their own, staged only when needed.
        if (inside === 'node_modules' || inside.startsWith('node_modules/')) return false;
        return !leftOut.some((f) => f(inside));
      },
    });
  }
  return packages.length;
}

/** Bytes under `dir`, for the build log. */
function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [packageDir, stagingDir] = process.argv.slice(2);
  if (!packageDir || !stagingDir || !existsSync(join(packageDir, 'package.json'))) {
    console.error('usage: tsx scripts/stage-node-modules.ts <package folder> <staging folder>');
    process.exit(2);
  }
  const count = stageNodeModules(packageDir, stagingDir);
  const megabytes = (sizeOf(join(stagingDir, 'node_modules')) / 1e6).toFixed(0);
  console.log(`stage-node-modules: ${count} packages, ${megabytes} MB in ${join(stagingDir, 'node_modules')}`);
}
