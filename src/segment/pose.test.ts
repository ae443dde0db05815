import assert from 'node:assert/strict';
import { poseFromMessage, yawFromQuaternion } from './pose.js';
import { at, odometry, poseStamped, poseWithCovariance } from '../../test/support/frames.js';

describe('pose', () => {
  it('reads position, frame and yaw from all three pose messages', () => {
    for (const make of [poseStamped, poseWithCovariance, odometry]) {
      const pose = poseFromMessage(make(at(2), 1.5, -2, 2.5));
      assert.equal(pose.stamp, at(2));
      assert.deepEqual([pose.x, pose.y, pose.z], [1.5, -2, 0]);
      assert.ok(Math.abs(pose.yaw - 2.5) < 1e-9, `yaw ${pose.yaw}`);
    }
    assert.equal(poseFromMessage(odometry(at(0), 0, 0, 0)).frameId, 'odom');
  });

  it('takes yaw from an unnormalised or tilted quaternion', () => {
    assert.ok(Math.abs(yawFromQuaternion({ x: 0, y: 0, z: 2, w: 2 }) - Math.PI / 2) < 1e-9);
    // 90° yaw followed by a 10° roll: heading stays 90°.
    const [cy, sy, cr, sr] = [Math.cos(Math.PI / 4), Math.sin(Math.PI / 4), Math.cos(0.0873), Math.sin(0.0873)];
    const q = { w: cy * cr, x: cy * sr, y: sy * sr, z: sy * cr };
    assert.ok(Math.abs(yawFromQuaternion(q) - Math.PI / 2) < 1e-9);
  });

  it('rejects a zero quaternion and non-finite numbers with the stamp in the message', () => {
    const zero = poseStamped(at(1), 0, 0, 0);
    zero.pose.orientation = { x: 0, y: 0, z: 0, w: 0 };
    assert.throws(() => poseFromMessage(zero), /pose at 2026-01-01T00:00:01.000Z in map: orientation quaternion is all zeros/);
    const nan = poseStamped(at(1), Number.NaN, 0, 0);
    assert.throws(() => poseFromMessage(nan), /not finite/);
  });
});
