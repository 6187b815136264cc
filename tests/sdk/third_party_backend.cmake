# The promise of SPEC §8, checked end to end: with only an installed claude-jobs, a third
# party builds a backend module (examples/gentle-backend, copied out of the source tree),
# passes the conformance kit, and serves jobs from a folder named in pluginDirs.
#   cmake -DBUILD_DIR=... -DEXAMPLE_DIR=... -DWORK=... -DDRIVER=... -DBUILD_TYPE=... -P third_party_backend.cmake
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  # The summary a person reading the test log wants: how many tests ran and passed.
  string(REGEX MATCHALL "[^\n]*(tests passed|PASSED|SKIPPED)[^\n]*" summary "${out}")
  message(STATUS "${what}: ok ${summary}")
endfunction()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
run("cmake --install into ${prefix}" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(path bin/claude-jobs bin/claude-jobs-runner
        include/claude_jobs/plugin.h include/claude_jobs/testing/conformance.h
        lib/cmake/ClaudeJobsSDK/ClaudeJobsSDKConfig.cmake
        lib/cmake/ClaudeJobsSDK/ClaudeJobsSDKConfigVersion.cmake
        lib/cmake/ClaudeJobsSDK/ClaudeJobsBackend.cmake
        libexec/claude-jobs/claude-jobs-conformance-job)
  if(NOT EXISTS ${prefix}/${path})
    message(FATAL_ERROR "missing from the installed tree: ${path}")
  endif()
endforeach()

# The example's sources alone, away from the tree: a relative include into sdk/ or core/
# would fail here.
file(COPY ${EXAMPLE_DIR}/ DESTINATION ${WORK}/src)
run("configure the example against the prefix" ${CMAKE_COMMAND} -S ${WORK}/src -B ${WORK}/build
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run("build the example" ${CMAKE_COMMAND} --build ${WORK}/build -j2)
file(READ ${WORK}/build/CMakeCache.txt cache)
string(FIND "${cache}" "ClaudeJobsSDK_DIR:PATH=${prefix}/" found)
if(found EQUAL -1)
  message(FATAL_ERROR "the example found ClaudeJobsSDK somewhere other than ${prefix}")
endif()
run("the example's conformance and priority tests"
    ${CMAKE_COMMAND} -E chdir ${WORK}/build ${CMAKE_CTEST_COMMAND} --output-on-failure)
run("a job through the installed server and the example's module"
    ${CMAKE_COMMAND} -E env CJ_TEST_SERVER=${prefix}/bin/claude-jobs
    CJ_TEST_PLUGIN_DIR=${WORK}/build/lib/claude-jobs/plugins ${DRIVER})
file(REMOVE_RECURSE ${WORK})
