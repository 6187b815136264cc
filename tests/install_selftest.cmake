# Installs the build into PREFIX and runs the installed binary's selftest.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE install_rc OUTPUT_QUIET)
if(NOT install_rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${install_rc})")
endif()
foreach(path bin/claude-jobs bin/claude-jobs-runner lib/claude-jobs/plugins/local-detached.so
        include/claude_jobs/job_backend.h include/claude_jobs/plugin.h)
  if(NOT EXISTS ${PREFIX}/${path})
    message(FATAL_ERROR "missing from the installed tree: ${path}")
  endif()
endforeach()
execute_process(COMMAND ${PREFIX}/bin/claude-jobs --selftest --plumbing-only
                RESULT_VARIABLE selftest_rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT selftest_rc EQUAL 0)
  message(FATAL_ERROR "the installed selftest failed (${selftest_rc})")
endif()
file(REMOVE_RECURSE ${PREFIX})
