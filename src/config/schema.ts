import { z } from 'zod';
import { paramRegistry, type ParamMeta } from './param.js';
import { nodeParams } from './sections/node.js';
import { cameraParams } from './sections/camera.js';
import { segmentParams } from './sections/segment.js';
import { audioParams } from './sections/audio.js';
import { poseParams } from './sections/pose.js';
import { memorizerParams } from './sections/memorizer.js';
import { storeParams } from './sections/store.js';
import { answererParams } from './sections/answerer.js';
import { embeddingParams } from './sections/embedding.js';
import { focusParams } from './sections/focus.js';
import { perceptionParams } from './sections/perception.js';
import { peopleParams } from './sections/people.js';
import { checkDependencies } from './dependencies.js';

/** Every parameter with the rules for its own value (type, range, choices, form), but not those between parameters. */
const fieldsSchema = nodeParams
  .extend({
    camera: cameraParams.strict().prefault({}),
    segment: segmentParams.strict().prefault({}),
    audio: audioParams.strict().prefault({}),
    pose: poseParams.strict().prefault({}),
    memorizer: memorizerParams.strict().prefault({}),
    store: storeParams.strict().prefault({}),
    answerer: answererParams.strict().prefault({}),
    embedding: embeddingParams.strict().prefault({}),
    focus: focusParams.strict().prefault({}),
    perception: perceptionParams.strict().prefault({}),
    people: peopleParams.strict().prefault({}),
  })
  .strict();

/**
 * Every parameter of taskmem, once. Top-level fields of `nodeParams` are plain ROS parameters; each other group
 * is a ROS prefix (`segment.duration_s`). ROS declarations, config/taskmem.yaml, CLI flags and the README table
 * are all derived from this object. Every level is strict, so a misspelt name (`segment.duraton_s`) is an
 * error instead of a silently ignored value; a group left out is filled with its defaults. The rules between
 * parameters (`checkDependencies`) are part of it, so a configuration that parses can be built as it says.
 */
export const configSchema = fieldsSchema.superRefine(checkDependencies);

export type Config = z.infer<typeof configSchema>;

export interface ParamSpec {
  /** Dotted ROS name, e.g. `segment.duration_s`. */
  name: string;
  meta: ParamMeta;
  default: unknown;
}

/** All parameters in declaration order with their metadata and defaults. */
export function listParams(): ParamSpec[] {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const specs: ParamSpec[] = [];
  for (const [key, field] of Object.entries(configSchema.shape)) {
    const meta = paramRegistry.get(field);
    if (meta) {
      specs.push({ name: key, meta, default: defaults[key] });
      continue;
    }
    const group = unwrapObject(field);
    const groupDefaults = defaults[key] as Record<string, unknown>;
    for (const [sub, subField] of Object.entries(group.shape)) {
      const subMeta = paramRegistry.get(subField as z.ZodType);
      if (!subMeta) throw new Error(`config schema: ${key}.${sub} has no parameter metadata`);
      specs.push({ name: `${key}.${sub}`, meta: subMeta, default: groupDefaults[sub] });
    }
  }
  return specs;
}

function unwrapObject(field: z.ZodType): z.ZodObject {
  let current: z.ZodType = field;
  while (!(current instanceof z.ZodObject)) {
    const inner = (current as unknown as { def: { innerType?: z.ZodType } }).def.innerType;
    if (!inner) throw new Error('config schema: a group is not an object');
    current = inner;
  }
  return current;
}

/** Thrown for any invalid parameter value; the message names parameter, value, source and allowed range. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses a configuration from one source (a params file, --ros-args, CLI flags). Values are nested
 * (`{ segment: { duration_s: 5 } }`); use `nestFlat` for dotted names. Unknown names are rejected so a typo in a
 * params file does not go unnoticed. `dependencies: false` checks each value alone, for a source that sets some
 * parameters and leaves the rest to other sources (see ParamLayer).
 */
export function parseConfig(input: unknown, source: string, { dependencies = true }: { dependencies?: boolean } = {}): Config {
  const result = (dependencies ? configSchema : fieldsSchema).safeParse(input);
  if (result.success) return result.data;
  const specs = new Map(listParams().map((p) => [p.name, p]));
  const lines = result.error.issues.map((issue) => describeIssue(issue, input, specs, source));
  throw new ConfigError(lines.join('\n'));
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, specs: Map<string, ParamSpec>, source: string): string {
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.map(String).join('.');
    const names = issue.keys.map((k) => (prefix ? `${prefix}.${k}` : k));
    return `taskmem: unknown parameter ${names.join(', ')} (from ${source})`;
  }
  const name = issue.path.map(String).join('.');
  const spec = specs.get(name);
  // A rule of the schema says what is wrong in its own words; a range or type error is told by what is allowed.
  if (issue.code === 'custom') {
    const value = (issue.params as { value?: unknown } | undefined)?.value ?? valueAt(input, issue.path);
    const parameter = spec ? name : name.replace(/\.\d+$/, '');
    return `taskmem: parameter ${parameter} = ${JSON.stringify(value)} (from ${source}) is invalid: ${issue.message}`;
  }
  const value = valueAt(input, issue.path);
  return `taskmem: parameter ${name} = ${JSON.stringify(value)} (from ${source}) is invalid: ${spec ? allowed(spec.meta) : issue.message}`;
}

/** The allowed values of a parameter, in words. */
export function allowed(meta: ParamMeta): string {
  if (meta.choices) return `one of ${meta.choices.join(', ')}`;
  switch (meta.rosType) {
    case 'integer':
      return `an integer from ${meta.min} to ${meta.max}`;
    case 'double':
      return `a number from ${meta.min} to ${meta.max}`;
    case 'bool':
      return 'true or false';
    case 'string':
      return meta.form ?? 'a string';
    case 'string_array':
      return meta.form ? `a list of strings, each ${meta.form}` : 'a list of strings';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** `{ 'segment.duration_s': 5 }` → `{ segment: { duration_s: 5 } }`. */
export function nestFlat(flat: Record<string, unknown>): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    const parts = name.split('.');
    let target = nested;
    for (const part of parts.slice(0, -1)) {
      target[part] ??= {};
      target = target[part] as Record<string, unknown>;
    }
    target[parts.at(-1)!] = value;
  }
  return nested;
}

/**
 * `{ segment: { duration_s: 5 }, 'audio.topic': 'mic' }` → `{ 'segment.duration_s': 5, 'audio.topic': 'mic' }`:
 * nested and dotted spellings, both allowed in ROS params files, become dotted names. Arrays are values.
 */
export function flattenNested(nested: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(nested)) {
    const name = prefix + key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(flat, flattenNested(value as Record<string, unknown>, `${name}.`));
    } else {
      flat[name] = value;
    }
  }
  return flat;
}

/** Reads a value by dotted name from a parsed configuration. */
export function getParam(config: Config, name: string): unknown {
  return valueAt(config, name.split('.'));
}
