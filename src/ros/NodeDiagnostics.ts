import type * as rcl from 'rclnodejs';
import type { EmbeddingCounts } from '../embed/MemoryEmbedder.js';
import type { Logger } from '../log.js';
import { nanosToSeconds, toRosTime, type RosNanos } from '../time.js';
import type { SegmentCounts } from './LiveStages.js';

/** diagnostic_msgs/DiagnosticStatus levels. */
export const DIAGNOSTIC_LEVEL = { OK: 0, WARN: 1, ERROR: 2 } as const;

/** What the node reports about itself at one moment. */
export interface NodeState {
  now: RosNanos;
  counts: SegmentCounts;
  /** Input messages dropped or rejected, by cause. */
  droppedInputs: Record<string, number>;
  /** Segments waiting for the memorizer plus in flight. */
  queueDepth: number;
  episode: number;
  /** When the last memory was stored (ROS time); null before the first. */
  lastMemoryAt: RosNanos | null;
  /** The pipeline refused a message because it had stopped (its store failed). */
  pipelineStopped: boolean;
  /** Why the store can no longer be written (its file deleted or replaced, its server not answering); null while it can. */
  storeError: string | null;
  focusGroup: string | null;
  /** Task focus counters (judge calls, …); empty below depth 2. */
  focusCost: Record<string, number>;
  /** What the live pipeline's embedding did; null without an embedding source. */
  embedding: EmbeddingCounts | null;
}

export interface NodeDiagnosticsOptions {
  /** Whether the memorizer endpoint answers; null when none is configured (Assembly#probeEndpoint). */
  probe: () => Promise<boolean> | null;
  logger: Logger;
  /** The status's name, `taskmem: <node name>`, and hardware id (robot_id). */
  name: string;
  hardwareId: string;
}

/**
 * The memory node's `/diagnostics` status: whether the memorizer endpoint answers (probed in the background on
 * every report; a change is logged once), queue, counts, dropped inputs, the last memory's age, the episode and
 * the task focus. ERROR when the endpoint is unreachable, the pipeline stopped or the store can no longer be
 * written; WARN when segments or inputs
 * were dropped; OK otherwise.
 */
export class NodeDiagnostics {
  readonly #probe: () => Promise<boolean> | null;
  readonly #logger: Logger;
  readonly #name: string;
  readonly #hardwareId: string;
  /** Whether the endpoint answered the last probe; null: none configured; undefined: not probed yet. */
  #endpoint: boolean | null | undefined = undefined;
  #probing = false;

  constructor({ probe, logger, name, hardwareId }: NodeDiagnosticsOptions) {
    this.#probe = probe;
    this.#logger = logger;
    this.#name = name;
    this.#hardwareId = hardwareId;
  }

  /** Refreshes the endpoint state in the background; the next report says what it found. */
  probeEndpoint(): void {
    const probe = this.#probe();
    if (probe === null) {
      this.#endpoint = null;
      return;
    }
    if (this.#probing) return;
    this.#probing = true;
    void probe
      .then(
        (reachable) => {
          if (reachable !== this.#endpoint)
            this.#logger[reachable ? 'info' : 'warn'](`taskmem: memorizer endpoint ${reachable ? 'reachable' : 'unreachable'}`);
          this.#endpoint = reachable;
        },
        () => (this.#endpoint = false),
      )
      .finally(() => (this.#probing = false));
  }

  /** The DiagnosticArray for `state`, with the endpoint as last probed. */
  report(state: NodeState): rcl.diagnostic_msgs.msg.DiagnosticArray {
    const { counts, droppedInputs } = state;
    const problems: string[] = [];
    if (this.#endpoint === false) problems.push('memorizer endpoint unreachable');
    if (counts.dropped > 0) problems.push(`${counts.dropped} segments dropped`);
    const rejected = Object.values(droppedInputs).reduce((a, b) => a + b, 0);
    if (rejected > 0) problems.push(`${rejected} input messages dropped or rejected`);
    if (state.pipelineStopped) problems.push('pipeline stopped');
    if (state.embedding?.down) problems.push(`embedding endpoint failing (${state.embedding.down}): memories stored without vectors`);
    if (state.storeError !== null) problems.push(`memory store unusable, nothing more is written: ${state.storeError}`);
    const values: Record<string, string> = {
      endpoint_reachable: this.#endpoint === null ? 'not configured' : this.#endpoint === undefined ? 'checking' : String(this.#endpoint),
      queue_depth: String(state.queueDepth),
      dropped_segments: String(counts.dropped),
      stored_memories: String(counts.stored),
      failed_segments: String(counts.failed),
      last_memory_age_s: state.lastMemoryAt === null ? 'none yet' : nanosToSeconds(state.now - state.lastMemoryAt).toFixed(1),
      episode: String(state.episode),
      ...Object.fromEntries(Object.entries(droppedInputs).map(([cause, n]) => [`dropped_inputs.${cause}`, String(n)])),
      'focus.group': state.focusGroup ?? 'none',
      ...Object.fromEntries(Object.entries(state.focusCost).map(([key, n]) => [`focus.${key}`, String(n)])),
      ...(state.embedding ? embeddingValues(state.embedding) : { 'embedding.model': 'not configured' }),
    };
    const level =
      this.#endpoint === false || state.pipelineStopped || state.storeError !== null
        ? DIAGNOSTIC_LEVEL.ERROR
        : problems.length > 0
          ? DIAGNOSTIC_LEVEL.WARN
          : DIAGNOSTIC_LEVEL.OK;
    return {
      header: { stamp: toRosTime(state.now), frame_id: '' },
      status: [
        {
          level,
          name: this.#name,
          message: problems.length > 0 ? problems.join('; ') : 'memorizing',
          hardware_id: this.#hardwareId,
          values: Object.entries(values).map(([key, value]) => ({ key, value })),
        },
      ],
    };
  }
}

/** The embedding's diagnostic values: model, memories stored with and without a vector, the backlog, failures. */
function embeddingValues(counts: EmbeddingCounts): Record<string, string> {
  return {
    'embedding.model': counts.model,
    'embedding.stored_with_vector': String(counts.embedded),
    'embedding.stored_without_vector': String(counts.deferred),
    'embedding.caught_up': String(counts.caughtUp),
    'embedding.without_vector': counts.pending === null ? 'counting' : String(counts.pending),
    'embedding.endpoint': counts.down === null ? 'answering' : `failing (${counts.down})`,
    ...Object.fromEntries(Object.entries(counts.failures).map(([cause, n]) => [`embedding.failures.${cause}`, String(n)])),
  };
}
