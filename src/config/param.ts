import { z } from 'zod';

/** How a parameter is declared on the ROS side (rcl_interfaces/ParameterType). */
export type RosParamType = 'bool' | 'integer' | 'double' | 'string' | 'string_array';

/** Everything the ROS declaration, the YAML file, the CLI and the README need to know about one parameter. */
export interface ParamMeta {
  rosType: RosParamType;
  description: string;
  /** True when a change only takes effect after a restart (declared read-only on ROS). */
  readOnly: boolean;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Units or form of the value, shown in the README table ("s", "px", "URL"). */
  unit?: string;
}

/** The registry that ties each parameter's zod schema to its metadata. */
export const paramRegistry = z.registry<ParamMeta>();

interface Common {
  description: string;
  readOnly?: boolean;
  unit?: string;
}

export function integer(opts: Common & { default: number; min: number; max: number }) {
  const schema = z.number().int().min(opts.min).max(opts.max).default(opts.default);
  schema.register(paramRegistry, meta('integer', opts, { min: opts.min, max: opts.max }));
  return schema;
}

export function double(opts: Common & { default: number; min: number; max: number }) {
  const schema = z.number().min(opts.min).max(opts.max).default(opts.default);
  schema.register(paramRegistry, meta('double', opts, { min: opts.min, max: opts.max }));
  return schema;
}

export function bool(opts: Common & { default: boolean }) {
  const schema = z.boolean().default(opts.default);
  schema.register(paramRegistry, meta('bool', opts, {}));
  return schema;
}

/** A free string. An empty string is the ROS way of saying "not set". */
export function string(opts: Common & { default: string }) {
  const schema = z.string().default(opts.default);
  schema.register(paramRegistry, meta('string', opts, {}));
  return schema;
}

export function choice<const T extends readonly [string, ...string[]]>(opts: Common & { default: T[number]; choices: T }) {
  const schema = z.enum(opts.choices).default(opts.default as never);
  schema.register(paramRegistry, meta('string', opts, { choices: opts.choices }));
  return schema;
}

export function stringArray(opts: Common & { default: string[] }) {
  const schema = z.array(z.string()).default(opts.default);
  schema.register(paramRegistry, meta('string_array', opts, {}));
  return schema;
}

function meta(rosType: RosParamType, opts: Common, range: Pick<ParamMeta, 'min' | 'max' | 'choices'>): ParamMeta {
  return {
    rosType,
    description: opts.description,
    readOnly: opts.readOnly ?? false,
    ...(opts.unit === undefined ? {} : { unit: opts.unit }),
    ...range,
  };
}
