import { strict as assert } from 'node:assert';
import { parse } from '@foxglove/rosmsg';
import { MessageDefinitions } from '../bag/MessageDefinitions.js';
import { messageProblem, schemaProblem } from './SensorFields.js';
import type { SensorKind } from './SensorMessage.js';

const TYPES: [SensorKind, string, 'ros_drivers' | 'mgonzs13'][] = [
  ['image', 'sensor_msgs/msg/Image', 'ros_drivers'],
  ['compressed_image', 'sensor_msgs/msg/CompressedImage', 'ros_drivers'],
  ['audio_info', 'audio_common_msgs/msg/AudioInfo', 'ros_drivers'],
  ['audio_data_stamped', 'audio_common_msgs/msg/AudioDataStamped', 'ros_drivers'],
  ['audio_stamped', 'audio_common_msgs/msg/AudioStamped', 'mgonzs13'],
  ['pose_stamped', 'geometry_msgs/msg/PoseStamped', 'ros_drivers'],
  ['odometry', 'nav_msgs/msg/Odometry', 'ros_drivers'],
  ['pose_with_covariance_stamped', 'geometry_msgs/msg/PoseWithCovarianceStamped', 'ros_drivers'],
];

const image = {
  header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'camera' },
  height: 2,
  width: 2,
  encoding: 'rgb8',
  is_bigendian: 0,
  step: 6,
  data: new Uint8Array(12),
};

describe('SensorFields', () => {
  it('finds every field taskmem reads in the standard definitions of every sensor type', () => {
    for (const [kind, type, audioCommon] of TYPES) {
      const text = new MessageDefinitions({ audioCommon }).schemaText(type);
      assert.equal(schemaProblem(kind, parse(text, { ros2: true })), null, type);
    }
  });

  it('names the field a look-alike definition lacks or declares otherwise', () => {
    const noHeader = parse('uint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data', { ros2: true });
    assert.equal(schemaProblem('image', noHeader), 'has no field header (taskmem reads header.stamp, a time (builtin_interfaces/Time))');
    const textData = parse(
      'std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nstring data\n' +
        '================================================================================\nMSG: std_msgs/Header\n' +
        'builtin_interfaces/Time stamp\nstring frame_id',
      { ros2: true },
    );
    assert.equal(schemaProblem('image', textData), 'declares data as string, where taskmem reads a byte array (uint8[])');
    const headerAsNumber = parse('uint32 header\nstring format\nuint8[] data', { ros2: true });
    assert.equal(schemaProblem('compressed_image', headerAsNumber), 'declares header as uint32, not a message holding header.stamp');
  });

  it('names the field a decoded message lacks or holds in another form', () => {
    assert.equal(messageProblem('image', image), null);
    assert.equal(messageProblem('image', { ...image, data: Array.from(image.data) }), null, 'a plain array of bytes is read too');
    const { header: _, ...headless } = image;
    assert.equal(messageProblem('image', headless), 'has no field header.stamp (a time (builtin_interfaces/Time))');
    assert.equal(messageProblem('image', { ...image, width: '2' }), 'has width that is not a number');
    assert.equal(messageProblem('compressed_image', null), 'has no field header.stamp (a time (builtin_interfaces/Time))');
  });
});
