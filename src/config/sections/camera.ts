import { z } from 'zod';
import { choice, integer, string } from '../param.js';

export const cameraParams = z.object({
  topic: string({
    default: 'camera/image_raw',
    readOnly: true,
    description: 'Camera topic (relative names resolve in the node namespace).',
  }),
  type: choice({
    default: 'image',
    choices: ['image', 'compressed'],
    readOnly: true,
    description: 'Message type on the camera topic: sensor_msgs/msg/Image or sensor_msgs/msg/CompressedImage.',
  }),
  long_side: integer({
    default: 448,
    min: 64,
    max: 2048,
    unit: 'px',
    description: 'Long side of the keyframes sent to the model; both sides are rounded to multiples of 32.',
  }),
  jpeg_quality: integer({ default: 85, min: 1, max: 100, description: 'JPEG quality of converted keyframes.' }),
});

export type CameraParams = z.infer<typeof cameraParams>;
