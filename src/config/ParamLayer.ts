import { nestFlat, parseConfig, type Config } from './schema.js';

/**
 * Values for some parameters from one source (a params file, command-line flags, ROS parameters), by dotted
 * name. Built only through `paramLayer`, which validates the values, so an invalid value is reported with the
 * source it came from rather than after layers are merged.
 */
export interface ParamLayer {
  readonly source: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * Validates `values` as coming from `source`; throws ConfigError naming parameter, value, source and range. The
 * rules between parameters are checked once the layers are merged (`resolveConfig`): another layer may supply
 * what a value needs.
 */
export function paramLayer(source: string, values: Record<string, unknown>): ParamLayer {
  parseConfig(nestFlat(values), source, { dependencies: false });
  return { source, values };
}

/**
 * The configuration from the schema's defaults overridden by each layer in turn, later layers winning:
 * defaults < params file < launch arguments / --ros-args < command-line flags.
 */
export function resolveConfig(layers: readonly ParamLayer[]): Config {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) Object.assign(merged, layer.values);
  return parseConfig(nestFlat(merged), layers.map((l) => l.source).join(' < ') || 'defaults');
}
