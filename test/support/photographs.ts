/**
 * Real photographs for the vision tests, from the data folder of Debian's python3-skimage: used where the package
 * is installed, else its .deb is fetched from the Debian archive once (`apt-get download`, which needs the
 * package lists of `apt-get update`) and unpacked into a cache under the temporary folder. Provenance (from
 * skimage.data): astronaut.png, Eileen Collins, NASA, public domain; camera.png, a man with a camera, CC0 (Lav
 * Varshney); coffee.png, a cup of coffee, CC0 (Rachel Michetti); chelsea.png, a cat.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export type PhotographName = 'astronaut.png' | 'camera.png' | 'coffee.png' | 'chelsea.png' | 'motorcycle_left.png';

const INSTALLED = '/usr/lib/python3/dist-packages/skimage/data';
const CACHE = join(tmpdir(), 'taskmem-test-photographs');
const UNPACKED = join(CACHE, 'usr/lib/python3/dist-packages/skimage/data');

/** The path of a photograph of skimage's data folder. */
export function photographPath(name: PhotographName): string {
  if (existsSync(join(INSTALLED, name))) return join(INSTALLED, name);
  if (!existsSync(join(UNPACKED, name))) unpackSkimage();
  return join(UNPACKED, name);
}

export function photograph(name: PhotographName): Buffer {
  return readFileSync(photographPath(name));
}

function unpackSkimage(): void {
  mkdirSync(CACHE, { recursive: true });
  try {
    execFileSync('apt-get', ['download', 'python3-skimage'], { cwd: CACHE, stdio: 'pipe' });
    const deb = readdirSync(CACHE).find((f) => f.startsWith('python3-skimage_') && f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download left no python3-skimage_*.deb');
    execFileSync('dpkg-deb', ['-x', join(CACHE, deb), CACHE], { stdio: 'pipe' });
    rmSync(join(CACHE, deb));
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new Error(
      `test photographs: cannot fetch Debian's python3-skimage (${detail}); run \`apt-get update\` first, or \`apt-get install python3-skimage\``,
      { cause: error },
    );
  }
}

export interface Placement {
  /** Height of the photograph in the frame, in pixels. */
  height: number;
  /** Position of its top-left corner in the frame. */
  left: number;
  top: number;
  /** Brightness factor (1: unchanged). */
  brightness?: number;
}

/**
 * A camera frame (JPEG) of `width`×`height` with a photograph placed in it on a plain background: the same
 * photograph shifted, scaled or brightened is the same person seen again.
 */
export async function framed(
  name: PhotographName,
  { height: side, left, top, brightness = 1 }: Placement,
  { width = 640, height = 480, background = '#6d7b8a' } = {},
): Promise<Uint8Array> {
  const picture = await sharp(photograph(name)).removeAlpha().resize({ height: side }).modulate({ brightness }).png().toBuffer();
  const jpeg = await sharp({ create: { width, height, channels: 3, background } })
    .composite([{ input: picture, left, top }])
    .jpeg({ quality: 90 })
    .toBuffer();
  return new Uint8Array(jpeg);
}
