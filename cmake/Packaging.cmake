# The release packages: `cpack` in a build folder makes a .deb and a .tar.gz of what
# `cmake --install` installs (server, supervisor, tmux pane program, backend modules, SDK
# headers and library, the ClaudeJobsSDK CMake package), laid out under /usr in the .deb and
# under the tarball's top folder otherwise. The binary finds its supervisor and modules
# relative to itself, so either works wherever it is unpacked.
set(CPACK_PACKAGE_NAME claude-jobs)
set(CPACK_PACKAGE_VENDOR "claude-jobs")
set(CPACK_PACKAGE_CONTACT "claude-jobs maintainers <claude-jobs@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "MCP server that runs Claude Code jobs in the background")
set(CPACK_PACKAGE_DESCRIPTION
  "claude-jobs lets an MCP client (Claude Code, Claude Desktop) start long Claude Code jobs that
run detached under their own supervisor, then check, wait for, resume or cancel them.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_PACKAGE_FILE_NAME "claude-jobs-${PROJECT_VERSION}-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The .deb installs under /usr (the DEB generator's default prefix), the tarball at its top.
# Shared-library dependencies from the binaries themselves when dpkg-shlibdeps is there (it is
# part of dpkg-dev), else the libraries a Debian 12 build links.
find_program(CLAUDE_JOBS_SHLIBDEPS dpkg-shlibdeps)
if(CLAUDE_JOBS_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libsqlite3-0, libspdlog1.10 | libspdlog1.12")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "tmux")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "podman")

include(CPack)
