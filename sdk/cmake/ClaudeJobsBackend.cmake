# claude_jobs_add_backend(<target> <sources>...): builds a claude-jobs backend module.
#
# One definition for both users of it: the claude-jobs source tree (its built-in modules) and
# a third party's project, through find_package(ClaudeJobsSDK). The module it makes is what the
# loader expects (see docs/abi.md):
#   - a MODULE library (dlopen'ed, never linked against) named <target>.so, no "lib" prefix;
#   - C++20, hidden visibility, so only the three symbols CLAUDE_JOBS_BACKEND marks are exported
#     and the module's own copies of header-only libraries never clash with the host's;
#   - linked against the SDK target: its headers, whose plugin.h compiles the ABI numbers and
#     the compiler and standard-library ABI tags the loader checks into the module, and its
#     small static library (the job-folder contract, process identity), built PIC with hidden
#     visibility, so it stays inside the module;
#   - placed in CLAUDE_JOBS_PLUGIN_OUTPUT_DIR when building and installed into
#     CLAUDE_JOBS_PLUGIN_SUBDIR (lib/claude-jobs/plugins) under the install prefix.
# Both variables may be set before the call to change where modules go.
include_guard(GLOBAL)

if(NOT DEFINED CLAUDE_JOBS_PLUGIN_SUBDIR)
  set(CLAUDE_JOBS_PLUGIN_SUBDIR "lib/claude-jobs/plugins")
endif()

function(claude_jobs_add_backend target)
  if(NOT ARGN)
    message(FATAL_ERROR "claude_jobs_add_backend(${target}): no source files given")
  endif()
  # In the claude-jobs tree the SDK is the local target; elsewhere the installed package's.
  if(TARGET claude_jobs_sdk)
    set(sdk claude_jobs_sdk)
  elseif(TARGET ClaudeJobs::sdk)
    set(sdk ClaudeJobs::sdk)
  else()
    message(FATAL_ERROR "claude_jobs_add_backend(${target}): call find_package(ClaudeJobsSDK) "
                        "first; the SDK target is missing")
  endif()
  set(output_dir "${CLAUDE_JOBS_PLUGIN_OUTPUT_DIR}")
  if(NOT output_dir)
    set(output_dir "${CMAKE_BINARY_DIR}/${CLAUDE_JOBS_PLUGIN_SUBDIR}")
  endif()
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE ${sdk})
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LIBRARY_OUTPUT_DIRECTORY ${output_dir})
  install(TARGETS ${target} LIBRARY DESTINATION ${CLAUDE_JOBS_PLUGIN_SUBDIR})
endfunction()

# claude_jobs_add_conformance_test(<target> [MODULE <backend target>] SOURCES <sources>...
#                                  [PROPERTIES <test property> <value>...])
#
# A GoogleTest program that runs the conformance kit (ClaudeJobs::testing) against a backend,
# with the paths claude_jobs::testing::default_setup() reads defined for it:
#   CLAUDE_JOBS_TEST_MODULE            the built module of MODULE
#   CLAUDE_JOBS_RUNNER_PATH            claude-jobs-runner
#   CLAUDE_JOBS_CONFORMANCE_JOB_PATH   the kit's stand-in program
# and its tests registered with CTest (gtest_discover_tests). The sources register the suite
# with CLAUDE_JOBS_CONFORMANCE(...); GoogleTest's main is linked in. PROPERTIES are set on every
# test besides LABELS conformance (e.g. FIXTURES_REQUIRED for a service the tests need running).
function(claude_jobs_add_conformance_test target)
  cmake_parse_arguments(arg "" "MODULE" "SOURCES;PROPERTIES" ${ARGN})
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "claude_jobs_add_conformance_test(${target}): no SOURCES given")
  endif()
  if(TARGET claude_jobs_testing)
    set(testing claude_jobs_testing)
    set(runner claude-jobs-runner)
    set(job claude-jobs-conformance-job)
  elseif(TARGET ClaudeJobs::testing AND TARGET ClaudeJobs::runner)
    set(testing ClaudeJobs::testing)
    set(runner ClaudeJobs::runner)
    set(job ClaudeJobs::conformance-job)
  else()
    message(FATAL_ERROR "claude_jobs_add_conformance_test(${target}): the conformance kit is "
                        "missing; use find_package(ClaudeJobsSDK REQUIRED COMPONENTS testing) "
                        "with GoogleTest installed")
  endif()
  add_executable(${target} ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE ${testing} GTest::gtest_main)
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_definitions(${target} PRIVATE
    CLAUDE_JOBS_RUNNER_PATH="$<TARGET_FILE:${runner}>"
    CLAUDE_JOBS_CONFORMANCE_JOB_PATH="$<TARGET_FILE:${job}>")
  if(arg_MODULE)
    target_compile_definitions(${target} PRIVATE
      CLAUDE_JOBS_TEST_MODULE="$<TARGET_FILE:${arg_MODULE}>")
    add_dependencies(${target} ${arg_MODULE})
  endif()
  if(TARGET claude_jobs_testing)
    add_dependencies(${target} ${runner} ${job})
  endif()
  include(GoogleTest)
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 30 PROPERTIES LABELS conformance ${arg_PROPERTIES})
endfunction()
