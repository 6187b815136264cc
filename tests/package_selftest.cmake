# The release packages work on their own: cpack builds the .deb and the tarball from this build;
# dpkg installs the .deb into an empty root of its own (dpkg --root, with a package database of
# its own, so this system is not touched; its dependencies are this system's libraries, which
# that root does not list), its layout is checked, the selftest runs from there, and a purge
# leaves nothing behind. The tarball is unpacked and checked the same way.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/root/var/lib/dpkg/info ${WORK}/root/var/lib/dpkg/updates ${WORK}/tar)
file(TOUCH ${WORK}/root/var/lib/dpkg/status)
set(dpkg_root dpkg --root=${WORK}/root --log=/dev/null)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed (${rc}):\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run(${CPACK} -B ${WORK}/out --config ${BUILD_DIR}/CPackConfig.cmake)  # CPACK_GENERATOR: DEB and TGZ
file(GLOB debs ${WORK}/out/*.deb)
file(GLOB tarballs ${WORK}/out/*.tar.gz)
list(LENGTH debs ndebs)
list(LENGTH tarballs ntars)
if(NOT ndebs EQUAL 1 OR NOT ntars EQUAL 1)
  message(FATAL_ERROR "expected one .deb and one .tar.gz in ${WORK}/out, got: ${debs} ${tarballs}")
endif()

run(dpkg-deb --field ${debs} Package Version Depends)
message("${out}")
if(NOT out MATCHES "Package: claude-jobs" OR NOT out MATCHES "libsqlite3")
  message(FATAL_ERROR "the .deb's control fields are not what they should be:\n${out}")
endif()
run(${dpkg_root} --force-depends -i ${debs})
run(${dpkg_root} --status claude-jobs)
if(NOT out MATCHES "Status: install ok installed")
  message(FATAL_ERROR "dpkg did not install the .deb:\n${out}")
endif()

function(expect_files root)
  foreach(path bin/claude-jobs bin/claude-jobs-runner bin/claude-jobs-tmux
          lib/claude-jobs/plugins/local-detached.so lib/claude-jobs/plugins/tmux.so
          lib/claude-jobs/plugins/container.so include/claude_jobs/job_backend.h
          include/claude_jobs/plugin.h)
    if(NOT EXISTS ${root}/${path})
      message(FATAL_ERROR "missing from the package: ${path} (under ${root})")
    endif()
  endforeach()
  file(GLOB_RECURSE sdk_package ${root}/*/ClaudeJobsSDKConfig.cmake)
  file(GLOB_RECURSE sdk_lib ${root}/*/libclaude_jobs_sdk.a)
  if(NOT sdk_package OR NOT sdk_lib)
    message(FATAL_ERROR "the SDK's CMake package or library is missing under ${root}")
  endif()
endfunction()
expect_files(${WORK}/root/usr)

run(${WORK}/root/usr/bin/claude-jobs --selftest --plumbing-only)
message("${out}")
if(NOT out MATCHES "selftest passed")
  message(FATAL_ERROR "the packaged selftest did not pass")
endif()

run(${dpkg_root} --purge claude-jobs)
file(GLOB_RECURSE left LIST_DIRECTORIES false ${WORK}/root/usr/*)
if(left)
  message(FATAL_ERROR "purging the package left files behind: ${left}")
endif()

run(${CMAKE_COMMAND} -E chdir ${WORK}/tar ${CMAKE_COMMAND} -E tar xzf ${tarballs})
file(GLOB top ${WORK}/tar/*)
expect_files(${top})
file(REMOVE_RECURSE ${WORK})
