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
  /** What a value must be beyond its type, in words (`an IANA time zone name, e.g. UTC or Europe/Berlin`). */
  form?: string;
}

/** The registry that ties each parameter's zod schema to its metadata. */
export const paramRegistry = z.registry<ParamMeta>();

interface Common {
  description: string;
  readOnly?: boolean;
  unit?: string;
}

/**
 * A rule a value must follow beyond its type: `form` says what is allowed, in words, for the README table and
 * `--help`; `problem` returns why a value breaks the rule, or null when it follows it.
 */
export interface ValueRule<T> {
  form: string;
  problem(value: T): string | null;
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

/** A string, free unless `rule` constrains it. An empty string is the ROS way of saying "not set". */
export function string(opts: Common & { default: string; rule?: ValueRule<string> }) {
  const schema = z.string().superRefine(checked(opts.rule)).default(opts.default);
  schema.register(paramRegistry, meta('string', opts, ruleForm(opts.rule)));
  return schema;
}

export function choice<const T extends readonly [string, ...string[]]>(opts: Common & { default: T[number]; choices: T }) {
  const schema = z.enum(opts.choices).default(opts.default as never);
  schema.register(paramRegistry, meta('string', opts, { choices: opts.choices }));
  return schema;
}

/** A list of strings; `rule`, when given, applies to every element. */
export function stringArray(opts: Common & { default: string[]; rule?: ValueRule<string> }) {
  const schema = z.array(z.string().superRefine(checked(opts.rule))).default(opts.default);
  schema.register(paramRegistry, meta('string_array', opts, ruleForm(opts.rule)));
  return schema;
}

/** A zod refinement reporting the rule's problem as a custom issue (whose message the error shows). */
function checked(rule: ValueRule<string> | undefined): (value: string, context: z.RefinementCtx) => void {
  return (value, context) => {
    const problem = rule?.problem(value) ?? null;
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  };
}

function ruleForm(rule: ValueRule<string> | undefined): Pick<ParamMeta, 'form'> {
  return rule ? { form: rule.form } : {};
}

function meta(rosType: RosParamType, opts: Common, range: Pick<ParamMeta, 'min' | 'max' | 'choices' | 'form'>): ParamMeta {
  return {
    rosType,
    description: opts.description,
    readOnly: opts.readOnly ?? false,
    ...(opts.unit === undefined ? {} : { unit: opts.unit }),
    ...range,
  };
}
