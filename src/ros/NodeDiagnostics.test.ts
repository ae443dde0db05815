import { strict as assert } from 'node:assert';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { probeEndpoint } from '../assembly/endpoint.js';
import type { Logger } from '../log.js';
import { DIAGNOSTIC_LEVEL, NodeDiagnostics, type NodeState } from './NodeDiagnostics.js';

const S = 1_000_000_000n;

function state(overrides: Partial<NodeState> = {}): NodeState {
  return {
    now: 100n * S,
    counts: { stored: 4, failed: 1, dropped: 0 },
    droppedInputs: {},
    queueDepth: 1,
    episode: 2,
    lastMemoryAt: 97n * S,
    pipelineStopped: false,
    storeError: null,
    focusGroup: 'signs',
    focusCost: {},
    embedding: null,
    ...overrides,
  };
}

function values(report: ReturnType<NodeDiagnostics['report']>): Record<string, string> {
  return Object.fromEntries(report.status[0]!.values.map((v) => [v.key, v.value]));
}

/** Waits for the background probe to land. */
async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('NodeDiagnostics (the /diagnostics status, without ROS)', () => {
  const logged: string[] = [];
  const logger: Logger = { debug: () => {}, info: (m) => logged.push(`info ${m}`), warn: (m) => logged.push(`warn ${m}`), error: () => {} };
  beforeEach(() => (logged.length = 0));

  it('says OK and what it counts while the endpoint answers', async () => {
    const server = await new StandInModelServer().start();
    try {
      const diagnostics = new NodeDiagnostics({
        probe: () => probeEndpoint(server.url).then((r) => r.reachable),
        logger,
        name: 'taskmem: taskmem',
        hardwareId: 'r1',
      });
      assert.equal(values(diagnostics.report(state())).endpoint_reachable, 'checking', 'before the first probe lands');
      diagnostics.probeEndpoint();
      await settled();
      const report = diagnostics.report(state({ focusCost: { judge_calls: 6 } }));
      const status = report.status[0]!;
      assert.deepEqual(
        [status.level, status.message, status.name, status.hardware_id],
        [DIAGNOSTIC_LEVEL.OK, 'memorizing', 'taskmem: taskmem', 'r1'],
      );
      assert.deepEqual(values(report), {
        endpoint_reachable: 'true',
        queue_depth: '1',
        dropped_segments: '0',
        stored_memories: '4',
        failed_segments: '1',
        last_memory_age_s: '3.0',
        episode: '2',
        'focus.group': 'signs',
        'focus.judge_calls': '6',
        'embedding.model': 'not configured',
      });
      assert.deepEqual(report.header.stamp, { sec: 100, nanosec: 0 });
    } finally {
      await server.stop();
    }
  });

  it('reports the embedding on the write path, and a failing embedding endpoint as a warning', () => {
    const diagnostics = new NodeDiagnostics({ probe: () => null, logger, name: 'taskmem: taskmem', hardwareId: 'r1' });
    const embedding = { model: 'minilm', embedded: 5, deferred: 2, caughtUp: 1, failures: { http_503: 3 }, pending: 1, down: null };
    const answering = diagnostics.report(state({ embedding }));
    assert.equal(answering.status[0]!.level, DIAGNOSTIC_LEVEL.OK);
    const shown = Object.entries(values(answering)).filter(([key]) => key.startsWith('embedding.'));
    assert.deepEqual(Object.fromEntries(shown), {
      'embedding.model': 'minilm',
      'embedding.stored_with_vector': '5',
      'embedding.stored_without_vector': '2',
      'embedding.caught_up': '1',
      'embedding.without_vector': '1',
      'embedding.endpoint': 'answering',
      'embedding.failures.http_503': '3',
    });
    const failing = diagnostics.report(state({ embedding: { ...embedding, down: 'unreachable' } })).status[0]!;
    assert.deepEqual(
      [failing.level, failing.message],
      [DIAGNOSTIC_LEVEL.WARN, 'embedding endpoint failing (unreachable): memories stored without vectors'],
    );
  });

  it('reports an unreachable endpoint and a stopped pipeline as errors, drops as warnings; logs a change of the endpoint once', async () => {
    let reachable = false;
    const diagnostics = new NodeDiagnostics({
      probe: () => Promise.resolve(reachable),
      logger,
      name: 'taskmem: taskmem',
      hardwareId: 'r1',
    });
    diagnostics.probeEndpoint();
    await settled();
    diagnostics.probeEndpoint();
    await settled();
    let status = diagnostics.report(state()).status[0]!;
    assert.deepEqual([status.level, status.message], [DIAGNOSTIC_LEVEL.ERROR, 'memorizer endpoint unreachable']);
    reachable = true;
    diagnostics.probeEndpoint();
    await settled();
    assert.deepEqual(logged, ['warn taskmem: memorizer endpoint unreachable', 'info taskmem: memorizer endpoint reachable']);

    status = diagnostics.report(state({ counts: { stored: 4, failed: 0, dropped: 2 }, droppedInputs: { late_frames: 3 } })).status[0]!;
    assert.deepEqual([status.level, status.message], [DIAGNOSTIC_LEVEL.WARN, '2 segments dropped; 3 input messages dropped or rejected']);
    assert.equal(values({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, status: [status] })['dropped_inputs.late_frames'], '3');

    status = diagnostics.report(state({ pipelineStopped: true, lastMemoryAt: null, focusGroup: null })).status[0]!;
    assert.deepEqual([status.level, status.message], [DIAGNOSTIC_LEVEL.ERROR, 'pipeline stopped']);
    const shown = values({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, status: [status] });
    assert.deepEqual([shown.last_memory_age_s, shown['focus.group']], ['none yet', 'none']);
  });

  it('says when no endpoint is configured', () => {
    const diagnostics = new NodeDiagnostics({ probe: () => null, logger, name: 'taskmem: taskmem', hardwareId: 'r1' });
    diagnostics.probeEndpoint();
    const report = diagnostics.report(state());
    assert.equal(values(report).endpoint_reachable, 'not configured');
    assert.equal(report.status[0]!.level, DIAGNOSTIC_LEVEL.OK);
  });
});
