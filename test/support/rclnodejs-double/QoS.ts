/** rclnodejs's QoS class (lib/qos.js): a history, depth, reliability and durability, and the named profiles. */
import type * as rcl from 'rclnodejs';
import type { QosSettings } from './RosGraph.js';

const HistoryPolicy = {
  RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: 0,
  RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1,
  RMW_QOS_POLICY_HISTORY_KEEP_ALL: 2,
} as const;
const ReliabilityPolicy = {
  RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: 0,
  RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1,
  RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2,
} as const;
const DurabilityPolicy = {
  RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: 0,
  RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1,
  RMW_QOS_POLICY_DURABILITY_VOLATILE: 2,
} as const;

export class QoS {
  static readonly profileSensorData = 'qos_profile_sensor_data';
  static readonly HistoryPolicy = HistoryPolicy as unknown as typeof rcl.QoS.HistoryPolicy;
  static readonly ReliabilityPolicy = ReliabilityPolicy as unknown as typeof rcl.QoS.ReliabilityPolicy;
  static readonly DurabilityPolicy = DurabilityPolicy as unknown as typeof rcl.QoS.DurabilityPolicy;

  history: number;
  depth: number;
  durability: rcl.QoS.DurabilityPolicy;
  liveliness: rcl.QoS.LivelinessPolicy;
  avoidRosNameSpaceConventions: boolean;
  readonly #reliability: rcl.QoS.ReliabilityPolicy;

  constructor(
    history: rcl.QoS.HistoryPolicy = 0,
    depth = 0,
    reliability: rcl.QoS.ReliabilityPolicy = 0,
    durability: rcl.QoS.DurabilityPolicy = 0,
    liveliness: rcl.QoS.LivelinessPolicy = 0,
    avoidRosNameSpaceConventions = false,
  ) {
    this.history = history;
    this.depth = depth;
    this.#reliability = reliability;
    this.durability = durability;
    this.liveliness = liveliness;
    this.avoidRosNameSpaceConventions = avoidRosNameSpaceConventions;
  }

  // rclnodejs declares reliability as a method (at run time it is a getter); the declaration is what is checked.
  reliability(): rcl.QoS.ReliabilityPolicy {
    return this.#reliability;
  }

  /** Matching settings; system defaults are those of the common RMWs (reliable, volatile). */
  settings(): QosSettings {
    return {
      reliability: this.#reliability === ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT ? 'best_effort' : 'reliable',
      durability: this.durability === DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL ? 'transient_local' : 'volatile',
      depth: this.history === HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL ? Infinity : Math.max(1, this.depth),
    };
  }
}
