import type * as rcl from 'rclnodejs';
import { ConfigError, getParam, type Config } from '../config/schema.js';
import { configFromRosParams, rosParamDeclarations, type RosParamDeclaration } from '../config/rosParams.js';
import type { Logger } from '../log.js';
import type { Rclnodejs, RosNode } from './Rclnodejs.js';

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
  readonly #declarations: Map<string, RosParamDeclaration>;
  readonly #listeners: ((names: string[]) => void)[] = [];

  constructor(rclnodejs: Rclnodejs, node: RosNode, logger: Logger) {
    const declarations = rosParamDeclarations();
    this.#declarations = new Map(declarations.map((d) => [d.name, d]));
    const overrides: Record<string, unknown> = {};
    for (const override of node.getParameterOverrides()) {
      if (this.#declarations.has(override.name)) overrides[override.name] = override.value;
      else if (!NODE_OWN.has(override.name)) logger.warn(`taskmem: ignoring unknown parameter ${override.name} (from --ros-args)`);
    }
    this.config = configFromRosParams(overrides, '--ros-args');

    for (const d of declarations) {
      const descriptor = new rclnodejs.ParameterDescriptor(d.name, d.typeId, d.description, d.readOnly, range(rclnodejs, d));
      descriptor.additionalConstraints = d.additionalConstraints;
      const value = getParam(this.config, d.name);
      // Declared with the validated value: an integer given for a double parameter is taken as that number
      // instead of being refused for its type, as rclnodejs would refuse it.
      node.declareParameter(
        new rclnodejs.Parameter(d.name, d.typeId, d.type === 'integer' ? BigInt(value as number) : value),
        descriptor,
        true,
      );
    }

    node.addOnSetParametersCallback((parameters) => this.#validate(parameters));
    node.addPostSetParametersCallback((parameters) => this.#apply(parameters));
  }

  /** Calls `listener` with the names of the schema parameters that changed, after each successful set. */
  onChange(listener: (names: string[]) => void): void {
    this.#listeners.push(listener);
  }

  #validate(parameters: rcl.Parameter[]): { successful: boolean; reason: string } {
    const values = this.#values();
    for (const p of parameters) if (this.#declarations.has(p.name)) values[p.name] = p.value;
    try {
      configFromRosParams(values, 'ros2 param set');
      return { successful: true, reason: '' };
    } catch (error) {
      if (error instanceof ConfigError) return { successful: false, reason: error.message };
      throw error;
    }
  }

  #apply(parameters: rcl.Parameter[]): void {
    const changed = parameters.filter((p) => this.#declarations.has(p.name));
    if (changed.length === 0) return;
    for (const p of changed) {
      const [group, key] = p.name.includes('.') ? p.name.split('.') : [null, p.name];
      const target = (group ? (this.config as unknown as Record<string, Record<string, unknown>>)[group] : this.config) as Record<
        string,
        unknown
      >;
      target[key] = fromRos(p.value);
    }
    for (const listener of this.#listeners) listener(changed.map((p) => p.name));
  }

  #values(): Record<string, unknown> {
    return Object.fromEntries([...this.#declarations.keys()].map((name) => [name, getParam(this.config, name)]));
  }
}

function range(rclnodejs: Rclnodejs, d: RosParamDeclaration): rcl.Range | undefined {
  if (d.integerRange) return new rclnodejs.IntegerRange(d.integerRange.fromValue, d.integerRange.toValue, d.integerRange.step);
  if (d.floatingPointRange)
    return new rclnodejs.FloatingPointRange(d.floatingPointRange.fromValue, d.floatingPointRange.toValue, d.floatingPointRange.step);
  return undefined;
}

/** ROS integers are bigint; the schema's are numbers. */
function fromRos(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
