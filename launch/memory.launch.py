"""Start the taskmem memory node.

    ros2 launch taskmem memory.launch.py camera:=/camera/image_raw audio:=/audio/audio_stamped \\
        audio_info:=/audio/audio_info memorizer_url:=http://gpu-box:8000/v1 use_sim_time:=false

Parameters come from, later winning: the schema's defaults < params_file < the launch arguments below. A launch
argument left at its default does not override params_file, so a value kept in a params file is not silently
replaced. The node's topics are relative, so namespace:=robot1 moves them all under /robot1/taskmem/...; remap
further by including this file with remappings, or set camera/audio/pose to absolute topic names.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

# Launch arguments that set one taskmem parameter each. Defaults and choices equal the schema's
# (src/config/sections/*.ts); test/foundation/launch.test.ts keeps them in step.
PARAMETER_ARGUMENTS = (
    {'name': 'robot_id', 'parameter': 'robot_id', 'default': 'robot', 'choices': None,
     'description': 'Robot identity written into every memory id; keep it stable across restarts.'},
    {'name': 'camera', 'parameter': 'camera.topic', 'default': 'camera/image_raw', 'choices': None,
     'description': 'Camera topic (relative names resolve in the namespace).'},
    {'name': 'camera_type', 'parameter': 'camera.type', 'default': 'image', 'choices': ['image', 'compressed'],
     'description': 'image: sensor_msgs/msg/Image; compressed: sensor_msgs/msg/CompressedImage.'},
    {'name': 'audio', 'parameter': 'audio.topic', 'default': 'audio/audio_stamped', 'choices': None,
     'description': 'Audio topic.'},
    {'name': 'audio_type', 'parameter': 'audio.type', 'default': 'audio_data_stamped',
     'choices': ['audio_data_stamped', 'audio_stamped', 'none'],
     'description': 'audio_data_stamped: ros-drivers audio_common_msgs/AudioDataStamped (+ AudioInfo); '
                    'audio_stamped: mgonzs13 audio_common_msgs/AudioStamped; none: no audio.'},
    {'name': 'audio_info', 'parameter': 'audio.info_topic', 'default': 'audio/audio_info', 'choices': None,
     'description': 'AudioInfo topic (format, channels, rate) for audio_type audio_data_stamped.'},
    {'name': 'pose', 'parameter': 'pose.topic', 'default': '', 'choices': None,
     'description': 'Pose topic, e.g. /amcl_pose or /odom; empty: no pose is recorded.'},
    {'name': 'pose_type', 'parameter': 'pose.type', 'default': 'pose_stamped',
     'choices': ['pose_stamped', 'odometry', 'pose_with_covariance_stamped'],
     'description': 'geometry_msgs/PoseStamped, nav_msgs/Odometry or geometry_msgs/PoseWithCovarianceStamped.'},
    {'name': 'memorizer_url', 'parameter': 'memorizer.url', 'default': '', 'choices': None,
     'description': 'OpenAI-compatible base URL of the memorization policy (vLLM), e.g. http://gpu-box:8000/v1; '
                    'empty: the embedded perception memorizer.'},
)


def node_parameters(context):
    """The parameter overrides: the launch arguments set to something other than their default."""
    overrides = {}
    for argument in PARAMETER_ARGUMENTS:
        value = LaunchConfiguration(argument['name']).perform(context)
        if value != argument['default']:
            # launch_ros reads a plain str as YAML (robot_id:=42 would become an integer); every one is a string.
            overrides[argument['parameter']] = ParameterValue(value, value_type=str)
    use_sim_time = LaunchConfiguration('use_sim_time').perform(context).lower()
    if use_sim_time not in ('true', 'false'):
        raise ValueError(f"use_sim_time must be true or false, not '{use_sim_time}'")
    if use_sim_time == 'true':
        overrides['use_sim_time'] = True
    return overrides


def launch_node(context):
    return [Node(
        package='taskmem',
        executable='memory_node',
        name='taskmem',
        namespace=LaunchConfiguration('namespace').perform(context),
        parameters=[LaunchConfiguration('params_file'), node_parameters(context)],
        output='screen',
        emulate_tty=True,
    )]


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument('namespace', default_value='', description='Namespace of the node and its topics.'),
        DeclareLaunchArgument(
            'params_file',
            default_value=PathJoinSubstitution([FindPackageShare('taskmem'), 'config', 'taskmem.yaml']),
            description='YAML params file (ROS form); the installed config/taskmem.yaml holds every default.'),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              description='true: use /clock (Gazebo, bag replay) instead of the wall clock.'),
    ]
    for argument in PARAMETER_ARGUMENTS:
        options = {} if argument['choices'] is None else {'choices': argument['choices']}
        arguments.append(DeclareLaunchArgument(
            argument['name'], default_value=argument['default'], description=argument['description'], **options))
    return LaunchDescription(arguments + [OpaqueFunction(function=launch_node)])
