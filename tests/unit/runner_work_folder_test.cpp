// Tests of the runner's entry into the work folder (runner/work_folder.h): a real folder is
// opened and can be entered; a symlink as the folder or anywhere above it is refused with
// ELOOP, by openat2 and by the component walk alike; and the refusal reads plainly.
#include "runner/work_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using cj::runner::open_work_folder;
using cj::runner::open_work_folder_by_walk;
using cj::runner::work_folder_error;

// The folder a descriptor names, through /proc.
std::string path_of(int fd) {
    std::error_code ec;
    return fs::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
}

// Every test runs against both ways of opening.
class WorkFolderTest : public ::testing::TestWithParam<bool> {
  protected:
    int open(const std::string& path) {
        return GetParam() ? open_work_folder(path) : open_work_folder_by_walk(path);
    }
    // The real path: the temporary folder itself may sit below a symlink on some machines.
    std::string root() { return fs::canonical(dir_.path()).string(); }

    cj::testing::TempDir dir_{"cj-work-folder"};
};

TEST_P(WorkFolderTest, ARealFolderIsOpenedAndEntered) {
    fs::create_directories(root() + "/a/b");
    int fd = open(root() + "/a/b");
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(path_of(fd), root() + "/a/b");
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "close-on-exec";
    // fchdir on it is how the job enters: in a child, so this process stays where it is.
    pid_t pid = ::fork();
    if (pid == 0) {
        char cwd[PATH_MAX];
        bool ok = ::fchdir(fd) == 0 && ::getcwd(cwd, sizeof cwd) != nullptr &&
                  std::string(cwd) == root() + "/a/b";
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ::close(fd);
}

TEST_P(WorkFolderTest, RedundantSlashesAndDotsAreFine) {
    fs::create_directories(root() + "/a/b");
    int fd = open(root() + "//a/./b/");
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(path_of(fd), root() + "/a/b");
    ::close(fd);
}

TEST_P(WorkFolderTest, TheFolderItselfAsASymlinkIsRefused) {
    fs::create_directories(root() + "/real");
    fs::create_directory_symlink(root() + "/real", root() + "/link");
    errno = 0;
    EXPECT_EQ(open(root() + "/link"), -1);
    EXPECT_EQ(errno, ELOOP);
}

TEST_P(WorkFolderTest, ASymlinkAboveTheFolderIsRefused) {
    fs::create_directories(root() + "/real/project");
    fs::create_directory_symlink(root() + "/real", root() + "/link");
    errno = 0;
    EXPECT_EQ(open(root() + "/link/project"), -1);
    EXPECT_EQ(errno, ELOOP);
}

TEST_P(WorkFolderTest, ARelativeSymlinkIsRefusedToo) {
    fs::create_directories(root() + "/real");
    fs::create_directory_symlink("real", root() + "/link");
    errno = 0;
    EXPECT_EQ(open(root() + "/link"), -1);
    EXPECT_EQ(errno, ELOOP);
}

TEST_P(WorkFolderTest, MissingAndNonFoldersSayWhat) {
    errno = 0;
    EXPECT_EQ(open(root() + "/missing"), -1);
    EXPECT_EQ(errno, ENOENT);
    dir_.write("file", "x");
    errno = 0;
    EXPECT_EQ(open(root() + "/file"), -1);
    EXPECT_EQ(errno, ENOTDIR);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, WorkFolderTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Openat2" : "Walk"; });

TEST(WorkFolderErrorTest, NamesASymlinkPlainlyAndOtherErrorsByTheirText) {
    EXPECT_EQ(work_folder_error("/w", ELOOP),
              "cannot enter work folder /w: it, or a folder on its path, is a symbolic link; a "
              "job runs only in the real folder it was accepted for");
    EXPECT_EQ(work_folder_error("/w", ENOENT),
              "cannot enter work folder /w: No such file or directory");
}

}  // namespace
