/**
 * The `--ros-args` that rcl parses for rclnodejs.init(): `-p [node:]name:=value`, `--params-file file.yaml`,
 * `-r [node:]from:=to` (with the special `__ns` and `__node`). Values are typed as rcl types them, by YAML:
 * `5` is an integer (bigint), `5.0` a double, `true` a bool, `[a, b]` a string array, anything else a string.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface RosArgs {
  /** Parameter overrides by node name; '/**' applies to every node. */
  params: Map<string, Map<string, unknown>>;
  remaps: { node: string | null; from: string; to: string }[];
}

export function parseRosArgs(argv: readonly string[]): RosArgs {
  const args: RosArgs = { params: new Map(), remaps: [] };
  let inRosArgs = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--ros-args') {
      inRosArgs = true;
      continue;
    }
    if (!inRosArgs) continue;
    if (arg === '--') {
      inRosArgs = false;
      continue;
    }
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`rcl: ${arg} needs a value`);
      return value;
    };
    if (arg === '-p' || arg === '--param') addParam(args, next());
    else if (arg === '-r' || arg === '--remap') addRemap(args, next());
    else if (arg === '--params-file') addParamsFile(args, next());
    else throw new Error(`rcl: unknown ROS argument "${arg}"`);
  }
  return args;
}

function splitRule(rule: string, what: string): { node: string | null; name: string; value: string } {
  const at = rule.indexOf(':=');
  if (at <= 0) throw new Error(`rcl: ${what} "${rule}" is not of the form name:=value`);
  const lhs = rule.slice(0, at);
  const colon = lhs.indexOf(':');
  return colon < 0
    ? { node: null, name: lhs, value: rule.slice(at + 2) }
    : { node: lhs.slice(0, colon), name: lhs.slice(colon + 1), value: rule.slice(at + 2) };
}

function addParam(args: RosArgs, rule: string): void {
  const { node, name, value } = splitRule(rule, 'parameter rule');
  setParam(args, node ?? '/**', name, typed(parse(value, { intAsBigInt: true })));
}

function addRemap(args: RosArgs, rule: string): void {
  const { node, name, value } = splitRule(rule, 'remap rule');
  args.remaps.push({ node, from: name, to: value });
}

function addParamsFile(args: RosArgs, path: string): void {
  const doc = parse(readFileSync(path, 'utf8'), { intAsBigInt: true }) as Record<string, { ros__parameters?: unknown }>;
  for (const [node, section] of Object.entries(doc ?? {})) {
    const params = section?.ros__parameters;
    if (params === undefined || params === null || typeof params !== 'object') {
      throw new Error(`rcl: params file ${path}: node "${node}" has no ros__parameters`);
    }
    flatten(params as Record<string, unknown>, '', (name, value) => setParam(args, node, name, typed(value)));
  }
}

function flatten(obj: Record<string, unknown>, prefix: string, out: (name: string, value: unknown) => void): void {
  for (const [key, value] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Record<string, unknown>, name, out);
    else out(name, value);
  }
}

function typed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : String(v)));
  return value === null ? '' : value;
}

function setParam(args: RosArgs, node: string, name: string, value: unknown): void {
  let forNode = args.params.get(node);
  if (!forNode) args.params.set(node, (forNode = new Map<string, unknown>()));
  forNode.set(name, value);
}

/** rcl's parameter type of a value typed as above. */
export function parameterTypeOf(value: unknown): 1 | 2 | 3 | 4 | 9 {
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'bigint') return 2;
  if (typeof value === 'number') return 3;
  if (Array.isArray(value)) return 9;
  return 4;
}

/** Parses a value as `ros2 param set` does (YAML). */
export function parseParamValue(text: string): unknown {
  return typed(parse(text, { intAsBigInt: true }));
}
