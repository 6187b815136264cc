# scripts/run.sh builds only what the server needs: configured the way it configures, the
# build has the `server` target (server, supervisor, modules, pane program) and none of the
# tests, benchmark, stand-ins or conformance kit; and run.sh says that the first build takes
# minutes before it starts one.
file(REMOVE_RECURSE ${WORK})
file(READ ${SOURCE_DIR}/scripts/run.sh script)
foreach(wanted "-DCLAUDE_JOBS_BUILD_TESTS=OFF" "-DCLAUDE_JOBS_BUILD_BENCH=OFF"
        "-DCLAUDE_JOBS_BUILD_KIT=OFF" "--target server" "first build takes")
  string(FIND "${script}" "${wanted}" at)
  if(at LESS 0)
    message(FATAL_ERROR "scripts/run.sh does not say ${wanted}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK} -DCMAKE_BUILD_TYPE=Release
                        -DCLAUDE_JOBS_BUILD_TESTS=OFF -DCLAUDE_JOBS_BUILD_BENCH=OFF
                        -DCLAUDE_JOBS_BUILD_KIT=OFF
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring as run.sh does failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK} --target help
                OUTPUT_VARIABLE targets ERROR_VARIABLE targets)
foreach(needed server claude-jobs claude-jobs-runner local-detached tmux container claude-jobs-tmux)
  if(NOT targets MATCHES "\\.\\.\\. ${needed}\n")
    message(FATAL_ERROR "the run.sh build has no target ${needed}:\n${targets}")
  endif()
endforeach()
foreach(unwanted unit_tests integration_tests fake-claude claude-jobs-bench claude_jobs_testing
        claude-jobs-conformance-job)
  if(targets MATCHES "\\.\\.\\. ${unwanted}\n")
    message(FATAL_ERROR "the run.sh build would build ${unwanted}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
