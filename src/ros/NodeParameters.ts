import type * as rcl from 'rclnodejs';
import { ConfigError, getParam, type Config } from '../config/schema.js';
import { configFromRosParams, ROS_PARAM_TYPE_IDS, rosParamDeclarations, type RosParamDeclaration } from '../config/rosParams.js';
import type { Logger } from '../log.js';
import { fullyQualifiedName, nodeParameterOverrides } from './parameterOverrides.js';
import type { Rclnodejs, RosNode } from './Rclnodejs.js';

/** Parameters rcl or rclnodejs declare on every node; an override of one is not a typo. */
const NODE_OWN = new Set(['use_sim_time', 'start_type_description_service']);

const TYPE_NAMES: Record<number, string> = { 1: 'a bool', 2: 'an integer', 3: 'a double', 4: 'a string', 9: 'a string array' };

/**
 * Every parameter of the configuration schema declared on a ROS node, with its description, range and choices,
 * read-only where the schema says a change needs a restart. Overrides from `--ros-args` (`-p`, `--params-file`,
 * a launch file's `parameters=`) are matched to the node as rclcpp matches them and validated by the schema
 * before anything is declared, so a bad value stops the node with the parameter's name, the value and the
 * allowed range. Writable parameters can be changed with `ros2 param set`; a change is checked here (type, range,
 * choices, with a reason that says what is allowed), then written into `config` in place and announced to
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
    const given = nodeParameterOverrides(rclnodejs.parameterRules(), fullyQualifiedName(node.namespace(), node.name()));
    const overrides: Record<string, unknown> = {};
    for (const [name, value] of given) {
      if (this.#declarations.has(name)) overrides[name] = value;
      else if (!NODE_OWN.has(name)) logger.warn(`taskmem: ignoring unknown parameter ${name} (from --ros-args)`);
    }
    this.config = configFromRosParams(overrides, '--ros-args');

    for (const d of declarations) {
      const value = getParam(this.config, d.name);
      // Declared with the validated value: an integer given for a double parameter is taken as that number
      // instead of being refused for its type, as rclnodejs would refuse it.
      node.declareParameter(
        new rclnodejs.Parameter(d.name, d.typeId, d.type === 'integer' ? BigInt(value as number) : value),
        schemaDescriptor(rclnodejs, d),
        true,
      );
    }
    applySimTime(rclnodejs, node, given.get('use_sim_time'));

    node.addOnSetParametersCallback((parameters) => this.#validate(parameters));
    node.addPostSetParametersCallback((parameters) => this.#apply(parameters));
  }

  /** Calls `listener` with the names of the schema parameters that changed, after each successful set. */
  onChange(listener: (names: string[]) => void): void {
    this.#listeners.push(listener);
  }

  #validate(parameters: rcl.Parameter[]): { successful: boolean; reason: string } {
    const values = this.#values();
    for (const p of parameters) {
      const declared = this.#declarations.get(p.name);
      if (!declared) continue;
      // rclnodejs types ParameterType as a const enum; the schema's type ids are its plain values.
      const type = Number(p.type);
      if (type !== declared.typeId) {
        const hint = declared.type === 'double' && type === ROS_PARAM_TYPE_IDS.integer ? ` (write ${String(p.value)}.0)` : '';
        return {
          successful: false,
          reason: `taskmem: parameter ${p.name} is ${TYPE_NAMES[declared.typeId]}, not ${TYPE_NAMES[type] ?? `type ${type}`}${hint}`,
        };
      }
      values[p.name] = p.value;
    }
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

/**
 * The descriptor `ros2 param describe` shows: description, read-only flag, choices and range. The range is given
 * to describe_parameters only: rclnodejs 2.2.0 drops it from the message itself, and refuses an out-of-range
 * value with a garbled reason ("does not  readonly"), so range and type are checked by the set-parameters
 * callback instead, whose reason names the parameter, the value and what is allowed.
 */
function schemaDescriptor(rclnodejs: Rclnodejs, d: RosParamDeclaration): rcl.ParameterDescriptor {
  const SchemaDescriptor = class extends rclnodejs.ParameterDescriptor {
    override validateParameter(): void {}

    override toMessage(): rcl.rcl_interfaces.msg.ParameterDescriptor {
      const message = super.toMessage();
      return {
        ...message,
        dynamic_typing: false,
        integer_range: d.integerRange
          ? [{ from_value: d.integerRange.fromValue, to_value: d.integerRange.toValue, step: d.integerRange.step }]
          : [],
        floating_point_range: d.floatingPointRange
          ? [{ from_value: d.floatingPointRange.fromValue, to_value: d.floatingPointRange.toValue, step: d.floatingPointRange.step }]
          : [],
      };
    }
  };
  const descriptor = new SchemaDescriptor(d.name, d.typeId, d.description, d.readOnly);
  descriptor.additionalConstraints = d.additionalConstraints;
  return descriptor;
}

/**
 * rclnodejs reads `use_sim_time` only from the rules it matches itself (the node's bare name or `/**`); one that
 * only a launch file's `/taskmem:` rule gives is applied here, through the parameter, so its clock follows /clock.
 */
function applySimTime(rclnodejs: Rclnodejs, node: RosNode, given: unknown): void {
  if (given === undefined || given === node.getParameter('use_sim_time').value) return;
  if (typeof given !== 'boolean') {
    throw new ConfigError(`taskmem: parameter use_sim_time = ${JSON.stringify(given)} (from --ros-args) is invalid: true or false`);
  }
  const [result] = node.setParameters([new rclnodejs.Parameter('use_sim_time', ROS_PARAM_TYPE_IDS.bool, given)]);
  if (!result?.successful) throw new Error(`taskmem: use_sim_time could not be set to ${given}: ${result?.reason ?? 'no result'}`);
}

/** ROS integers are bigint; the schema's are numbers. */
function fromRos(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
