import type * as rcl from 'rclnodejs';
import type { RosParamType } from './param.js';
import { listParams, type Config } from './schema.js';
import { paramLayer, resolveConfig } from './ParamLayer.js';

/** A ROS parameter value as rclnodejs takes and gives it: integers are bigint. */
export type RosParamValue = boolean | bigint | number | string | string[];

/**
 * Everything needed to declare one ROS parameter (`node.declareParameter(new Parameter(name, typeId, default),
 * descriptor)`), as plain data so this module needs no rclnodejs. `typeId` is the rcl_interfaces/ParameterType
 * constant of `type`, equal to rclnodejs's `ParameterType` member of the same name.
 */
export interface RosParamDeclaration {
  /** Dotted ROS name, e.g. `segment.duration_s`. */
  name: string;
  type: RosParamType;
  typeId: RosParamTypeId;
  default: RosParamValue;
  /** The schema's description, with the unit appended in brackets when it has one. */
  description: string;
  /** Constraints ROS cannot express as a range, in words (the allowed choices); empty when none. */
  additionalConstraints: string;
  /** True when a change only takes effect after a restart. */
  readOnly: boolean;
  /** For integer parameters: inclusive bounds, step 0 (any value between). */
  integerRange?: { fromValue: bigint; toValue: bigint; step: bigint };
  /** For double parameters: inclusive bounds, step 0 (continuous). */
  floatingPointRange?: { fromValue: number; toValue: number; step: number };
}

/**
 * rcl_interfaces/msg/ParameterType constants. rclnodejs declares them as a const enum, which a per-file
 * transpiler cannot inline; `satisfies` checks these values against that declaration.
 */
export const ROS_PARAM_TYPE_IDS = { bool: 1, integer: 2, double: 3, string: 4, string_array: 9 } as const satisfies {
  bool: rcl.ParameterType.PARAMETER_BOOL;
  integer: rcl.ParameterType.PARAMETER_INTEGER;
  double: rcl.ParameterType.PARAMETER_DOUBLE;
  string: rcl.ParameterType.PARAMETER_STRING;
  string_array: rcl.ParameterType.PARAMETER_STRING_ARRAY;
};
export type RosParamTypeId = (typeof ROS_PARAM_TYPE_IDS)[RosParamType];

/** One declaration per schema parameter, in schema order. */
export function rosParamDeclarations(): RosParamDeclaration[] {
  return listParams().map(({ name, meta, default: value }) => {
    const declaration: RosParamDeclaration = {
      name,
      type: meta.rosType,
      typeId: ROS_PARAM_TYPE_IDS[meta.rosType],
      default: meta.rosType === 'integer' ? BigInt(value as number) : (value as RosParamValue),
      description: meta.unit === undefined ? meta.description : `${meta.description} [${meta.unit}]`,
      additionalConstraints: meta.choices ? `one of: ${meta.choices.join(', ')}` : '',
      readOnly: meta.readOnly,
    };
    if (meta.rosType === 'integer' && meta.min !== undefined && meta.max !== undefined) {
      declaration.integerRange = { fromValue: BigInt(meta.min), toValue: BigInt(meta.max), step: 0n };
    }
    if (meta.rosType === 'double' && meta.min !== undefined && meta.max !== undefined) {
      declaration.floatingPointRange = { fromValue: meta.min, toValue: meta.max, step: 0 };
    }
    return declaration;
  });
}

/**
 * The validated configuration from the values of the declared ROS parameters, by dotted name (what
 * `node.getParameter(name).value` returns, integers as bigint). Throws ConfigError naming the parameter, the
 * value, the allowed range and `source` for a value the schema rejects.
 */
export function configFromRosParams(values: Readonly<Record<string, unknown>>, source = 'ROS parameters'): Config {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    plain[name] = typeof value === 'bigint' ? Number(value) : value;
  }
  return resolveConfig([paramLayer(source, plain)]);
}
