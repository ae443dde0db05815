# Install step: generates rclnodejs's JavaScript messages into the installed share/taskmem/node_modules/rclnodejs,
# for every package on AMENT_PREFIX_PATH and for taskmem itself (from this install prefix), then checks that
# taskmem's interfaces are among them: rclnodejs's generator reports its failures but exits 0.
set(_prefix "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(_rclnodejs "${_prefix}/share/taskmem/node_modules/rclnodejs")
message(STATUS "Generating rclnodejs messages in ${_rclnodejs}/generated")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env "AMENT_PREFIX_PATH=${_prefix}:$ENV{AMENT_PREFIX_PATH}"
    "${TASKMEM_NODE_EXECUTABLE}" scripts/generate_messages.cjs
  WORKING_DIRECTORY "${_rclnodejs}"
  RESULT_VARIABLE _result
  OUTPUT_VARIABLE _output
  ERROR_VARIABLE _output
)
foreach(_interface msg__Memory msg__Answer msg__Evidence srv__Recall srv__Forget action__Ask)
  if(NOT EXISTS "${_rclnodejs}/generated/taskmem/taskmem__${_interface}.js")
    message(FATAL_ERROR "taskmem: rclnodejs did not generate taskmem/${_interface} (exit ${_result}):\n${_output}")
  endif()
endforeach()
