import assert from 'node:assert/strict';
import { nodeNameMatches, nodeParameterOverrides, type ParameterRule } from './parameterOverrides.js';

describe('parameter rules for a node, as rclcpp applies them', () => {
  it('match /**, the bare name, the fully qualified name and /* or /** wildcards; not another node or namespace', () => {
    const matches = (pattern: string, fqn: string) => nodeNameMatches(pattern, fqn);
    assert.deepEqual(
      ['/**', 'taskmem', '/taskmem', '/**/taskmem', '/other', '/robot1/taskmem', '/*/taskmem'].map((p) => matches(p, '/taskmem')),
      [true, true, true, true, false, false, false],
    );
    assert.deepEqual(
      ['/**', 'taskmem', '/robot1/taskmem', '/*/taskmem', '/**/taskmem', '/robot2/taskmem'].map((p) => matches(p, '/robot1/taskmem')),
      [true, false, true, true, true, false],
    );
  });

  it("apply in rcl's order, a later rule winning, with integers as bigint", () => {
    const rules: ParameterRule[] = [
      {
        name: '/taskmem',
        parameters: [
          { name: 'robot_id', type: 4, value: 'from-launch' },
          { name: 'segment.keyframes', type: 2, value: 4 },
        ],
      },
      {
        name: '/**',
        parameters: [
          { name: 'segment.keyframes', type: 2, value: 6 },
          { name: 'segment.duration_s', type: 3, value: 5 },
        ],
      },
      { name: '/robot1/taskmem', parameters: [{ name: 'robot_id', type: 4, value: 'elsewhere' }] },
    ];
    assert.deepEqual(Object.fromEntries(nodeParameterOverrides(rules, '/taskmem')), {
      robot_id: 'from-launch',
      'segment.keyframes': 6n,
      'segment.duration_s': 5,
    });
  });
});
