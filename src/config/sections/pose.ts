import { z } from 'zod';
import { choice, string } from '../param.js';

export const poseParams = z.object({
  topic: string({ default: '', readOnly: true, description: 'Pose topic; empty: no pose is recorded.' }),
  type: choice({
    default: 'pose_stamped',
    choices: ['pose_stamped', 'odometry', 'pose_with_covariance_stamped'],
    readOnly: true,
    description: 'geometry_msgs/PoseStamped, nav_msgs/Odometry or geometry_msgs/PoseWithCovarianceStamped (e.g. /amcl_pose).',
  }),
});
