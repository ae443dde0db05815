import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../packageRoot.js';

/** The primitive field types of ROS 2 message definitions. */
export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'bool',
  'byte',
  'char',
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'string',
  'wstring',
]);

const SEPARATOR = '='.repeat(80);

/** The two incompatible `audio_common_msgs` packages whose definitions are kept side by side. */
export type AudioCommonFlavour = 'ros_drivers' | 'mgonzs13';

/**
 * Message definitions read from the package's own `.msg` files: `msg/` for taskmem, `interfaces/<pkg>/msg/`
 * for the standard packages it uses (`interfaces/audio_common_msgs.<flavour>/msg/` for the two audio packages).
 * Composes the rosbag2 `ros2msg` schema text of a type: its definition, then each dependency after a line of
 * `=` signs and `MSG: pkg/Name`, every dependency once.
 */
export class MessageDefinitions {
  readonly #root: string;
  readonly #audioCommon: AudioCommonFlavour;

  constructor({ root = packageRoot(), audioCommon = 'ros_drivers' }: { root?: string; audioCommon?: AudioCommonFlavour } = {}) {
    this.#root = root;
    this.#audioCommon = audioCommon;
  }

  /** `ros2msg` schema text of `type` (`pkg/msg/Name` or `pkg/Name`). */
  schemaText(type: string): string {
    const root = splitType(type);
    const seen = new Set([`${root.pkg}/${root.name}`]);
    const parts = [this.#read(root.pkg, root.name)];
    const visit = (pkg: string, text: string): void => {
      for (const dep of dependencies(pkg, text)) {
        const key = `${dep.pkg}/${dep.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const depText = this.#read(dep.pkg, dep.name);
        parts.push(`${SEPARATOR}\nMSG: ${key}\n${depText}`);
        visit(dep.pkg, depText);
      }
    };
    visit(root.pkg, parts[0]!);
    return parts.join('\n');
  }

  #read(pkg: string, name: string): string {
    const folder =
      pkg === 'taskmem'
        ? join(this.#root, 'msg')
        : pkg === 'audio_common_msgs'
          ? join(this.#root, 'interfaces', `${pkg}.${this.#audioCommon}`, 'msg')
          : join(this.#root, 'interfaces', pkg, 'msg');
    const file = join(folder, `${name}.msg`);
    if (!existsSync(file)) throw new Error(`MessageDefinitions: no definition of ${pkg}/msg/${name} (looked for ${file})`);
    return readFileSync(file, 'utf8').trimEnd();
  }
}

function splitType(type: string): { pkg: string; name: string } {
  const parts = type.split('/');
  const pkg = parts[0];
  const name = parts.at(-1);
  if (parts.length < 2 || parts.length > 3 || !pkg || !name || (parts.length === 3 && parts[1] !== 'msg')) {
    throw new Error(`MessageDefinitions: "${type}" is not a message type name (pkg/msg/Name)`);
  }
  return { pkg, name };
}

/** Complex field types of a definition, in order of appearance; a bare name refers to the same package. */
function dependencies(pkg: string, text: string): { pkg: string; name: string }[] {
  const deps: { pkg: string; name: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const type = line
      .split(/\s+/)[0]!
      .replace(/\[.*\]$/, '')
      .replace(/<=\d+$/, '');
    if (PRIMITIVE_TYPES.has(type)) continue;
    deps.push(type.includes('/') ? splitType(type) : { pkg, name: type });
  }
  return deps;
}
