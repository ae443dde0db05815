import type * as rcl from 'rclnodejs';
import { ConfigError, getParam, listParams, nestFlat, parseConfig, type Config, type ParamSpec } from '../config/schema.js';
import type { Logger } from '../log.js';
import { PARAMETER_TYPE, type Rclnodejs, type RosNode } from './Rclnodejs.js';

/** Parameters rcl or rclnodejs declare on every node; an override of one is not a typo. */
const NODE_OWN = new Set(['use_sim_time', 'start_type_description_service']);

/**
 * Every parameter of the configuration schema declared on a ROS node, with its description, range and choices,
 * read-only where the schema says a change needs a restart. Overrides from `--ros-args` (`-p`, `--params-file`,
 * a launch file's `parameters=`) are validated by the schema before anything is declared, so a bad value stops
 * the node with the parameter's name, the value and the allowed range. Writable parameters can be changed with
 * `ros2 param set`; a change is validated by the schema, then written into `config` in place and announced to
 * `onChange` listeners.
 */
export class NodeParameters {
  /** The live configuration; parameters that are not read-only change in place. */
  readonly config: Config;
  readonly #specs: Map<string, ParamSpec>;
  readonly #listeners: ((names: string[]) => void)[] = [];

  constructor(rclnodejs: Rclnodejs, node: RosNode, logger: Logger) {
    const specs = listParams();
    this.#specs = new Map(specs.map((s) => [s.name, s]));
    const flat: Record<string, unknown> = {};
    for (const override of node.getParameterOverrides()) {
      if (this.#specs.has(override.name)) flat[override.name] = fromRos(override.value);
      else if (!NODE_OWN.has(override.name)) logger.warn(`taskmem: ignoring unknown parameter ${override.name} (from --ros-args)`);
    }
    this.config = parseConfig(nestFlat(flat), '--ros-args');

    for (const spec of specs) {
      const type = PARAMETER_TYPE[spec.meta.rosType];
      const value = getParam(this.config, spec.name);
      const descriptor = new rclnodejs.ParameterDescriptor(
        spec.name,
        type,
        spec.meta.unit ? `${spec.meta.description} [${spec.meta.unit}]` : spec.meta.description,
        spec.meta.readOnly,
        range(rclnodejs, spec),
      );
      if (spec.meta.choices) descriptor.additionalConstraints = `one of: ${spec.meta.choices.join(', ')}`;
      // The override was validated above and is already in `value`.
      node.declareParameter(new rclnodejs.Parameter(spec.name, type, toRos(value, spec)), descriptor, true);
    }

    node.addOnSetParametersCallback((parameters) => this.#validate(parameters));
    node.addPostSetParametersCallback((parameters) => this.#apply(parameters));
  }

  /** Calls `listener` with the names of the schema parameters that changed, after each successful set. */
  onChange(listener: (names: string[]) => void): void {
    this.#listeners.push(listener);
  }

  #validate(parameters: rcl.Parameter[]): { successful: boolean; reason: string } {
    const flat = this.#flatConfig();
    for (const p of parameters) if (this.#specs.has(p.name)) flat[p.name] = fromRos(p.value);
    try {
      parseConfig(nestFlat(flat), 'ros2 param set');
      return { successful: true, reason: '' };
    } catch (error) {
      if (error instanceof ConfigError) return { successful: false, reason: error.message };
      throw error;
    }
  }

  #apply(parameters: rcl.Parameter[]): void {
    const changed = parameters.filter((p) => this.#specs.has(p.name));
    if (changed.length === 0) return;
    for (const p of changed) {
      const [group, key] = p.name.includes('.') ? p.name.split('.') : [null, p.name];
      const target = (group ? (this.config as unknown as Record<string, Record<string, unknown>>)[group] : this.config) as Record<string, unknown>;
      target[key!] = fromRos(p.value);
    }
    for (const listener of this.#listeners) listener(changed.map((p) => p.name));
  }

  #flatConfig(): Record<string, unknown> {
    return Object.fromEntries([...this.#specs.keys()].map((name) => [name, getParam(this.config, name)]));
  }
}

function range(rclnodejs: Rclnodejs, spec: ParamSpec): rcl.Range | undefined {
  const { min, max, rosType } = spec.meta;
  if (min === undefined || max === undefined) return undefined;
  if (rosType === 'integer') return new rclnodejs.IntegerRange(BigInt(min), BigInt(max), 1n);
  // rclnodejs's FloatingPointRange defaults to step 1; 0 makes the range continuous.
  if (rosType === 'double') return new rclnodejs.FloatingPointRange(min, max, 0);
  return undefined;
}

/** ROS integers are bigint; the schema's are numbers. */
function fromRos(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

function toRos(value: unknown, spec: ParamSpec): unknown {
  return spec.meta.rosType === 'integer' ? BigInt(value as number) : value;
}
