/**
 * Which `--ros-args` parameter rules apply to a node, decided as rclcpp decides it (rclcpp's
 * parameter_map_from and resolve_parameter_overrides). rclnodejs 2.2.0 applies only the rules written for
 * `/**` or for the node's bare name, so a launch file's rules, which launch_ros writes for the fully qualified
 * name (`/taskmem:`, `/robot1/taskmem:`), and wildcard rules (`/**\/taskmem:`) would be ignored.
 */

/** rcl_interfaces/msg/ParameterType constants as rcl reports parsed values. */
const INTEGER = 2;

/** One node-name key of rcl's parsed parameter rules, with its parameters, as rcl parsed them. */
export interface ParameterRule {
  /** The node name as written: `/**`, `taskmem`, `/taskmem`, `/robot1/taskmem`, `/*\/taskmem`, … */
  name: string;
  parameters: { name: string; type: number; value: unknown }[];
}

/**
 * The parameter values the rules give the node `nodeFqn` (e.g. `/robot1/taskmem`): every rule whose node name,
 * made absolute, matches the name with `/*` standing for one namespace level and `/**` for any number; rules
 * apply in the order rcl reports them, so a later one wins. Integers come back as bigint, as rclnodejs gives them.
 */
export function nodeParameterOverrides(rules: readonly ParameterRule[], nodeFqn: string): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const rule of rules) {
    if (!nodeNameMatches(rule.name, nodeFqn)) continue;
    for (const p of rule.parameters) values.set(p.name, p.type === INTEGER ? BigInt(p.value as number | bigint) : p.value);
  }
  return values;
}

/**
 * rclcpp's match: each `/*` becomes the regular expression `(/\w+)`, so the `*` left of `/**` repeats it (any
 * number of levels); the whole name must match. ROS names hold only letters, digits, `_` and `/`, so nothing
 * else needs escaping.
 */
export function nodeNameMatches(pattern: string, nodeFqn: string): boolean {
  const absolute = pattern.startsWith('/') ? pattern : `/${pattern}`;
  return new RegExp(`^${absolute.split('/*').join('(/\\w+)')}$`).test(nodeFqn);
}

/** The fully qualified name of a node from its namespace and name, as rcl forms it. */
export function fullyQualifiedName(namespace: string, name: string): string {
  return namespace === '/' || namespace === '' ? `/${name}` : `${namespace}/${name}`;
}
