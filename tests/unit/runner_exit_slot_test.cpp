// Tests of the room the runner keeps for exit.json (runner/exit_slot.h): the reserved file is
// hidden and gone once the record is written; the record is exactly what was given; a record
// that does not fit, or a slot never reserved, is written the ordinary way; an unused slot
// leaves nothing behind; and on a disk that filled up after the reservation the record is
// still written (root only: the disk is a small tmpfs).
#include "runner/exit_slot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/small_disk.h"
#include "support/temp_dir.h"
#include "support/text_files.h"

namespace {

namespace fs = std::filesystem;
using cj::runner::ExitSlot;
using cj::testing::read_text;

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

class ExitSlotTest : public ::testing::Test {
  protected:
    void SetUp() override { dirFd_ = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY); }
    void TearDown() override { ::close(dirFd_); }

    cj::testing::TempDir dir_{"cj-exit-slot"};
    int dirFd_ = -1;
};

TEST_F(ExitSlotTest, TheReservedRoomIsHiddenAndBecomesTheRecord) {
    ExitSlot slot;
    ASSERT_EQ(slot.reserve(dirFd_, "exit.json"), 0);
    EXPECT_TRUE(slot.reserved());
    auto names = names_in(dir_.path());
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], ".exit.json." + std::to_string(::getpid()) + ".reserved");
    EXPECT_EQ(fs::file_size(dir_.file(names[0])), ExitSlot::kBytes);

    ASSERT_EQ(slot.write("{\"exitCode\":0}\n"), 0);
    EXPECT_EQ(names_in(dir_.path()), std::vector<std::string>{"exit.json"});
    EXPECT_EQ(read_text(dir_.file("exit.json")), "{\"exitCode\":0}\n");
    struct stat st {};
    ASSERT_EQ(::stat(dir_.file("exit.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ExitSlotTest, ARecordTooBigForTheRoomIsWrittenTheOrdinaryWay) {
    ExitSlot slot;
    ASSERT_EQ(slot.reserve(dirFd_, "exit.json"), 0);
    std::string big(ExitSlot::kBytes + 100, 'r');
    ASSERT_EQ(slot.write(big), 0);
    EXPECT_EQ(read_text(dir_.file("exit.json")), big);
    // The unused room is not left behind once the slot goes.
}

TEST_F(ExitSlotTest, AnUnusedSlotLeavesNothing) {
    {
        ExitSlot slot;
        ASSERT_EQ(slot.reserve(dirFd_, "exit.json"), 0);
    }
    EXPECT_TRUE(names_in(dir_.path()).empty());
}

TEST_F(ExitSlotTest, AFailedReservationStillWritesTheOrdinaryWay) {
    ExitSlot slot;
    // The temporary name is taken by a folder: the reservation fails, the record does not.
    fs::create_directory(dir_.file(".exit.json." + std::to_string(::getpid()) + ".reserved"));
    EXPECT_NE(slot.reserve(dirFd_, "exit.json"), 0);
    EXPECT_FALSE(slot.reserved());
    ASSERT_EQ(slot.write("record\n"), 0);
    EXPECT_EQ(read_text(dir_.file("exit.json")), "record\n");
}

TEST(ExitSlotFullDiskTest, TheRecordIsWrittenOnADiskThatFilledUp) {
    cj::testing::SmallDisk disk(2);
    if (!disk.why().empty()) GTEST_SKIP() << disk.why();
    int dirFd = ::open(disk.path().c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(dirFd, 0);
    {
        ExitSlot slot;
        ASSERT_EQ(slot.reserve(dirFd, "exit.json"), 0);
        ASSERT_TRUE(disk.fill());
        // Without the slot this fails: the proof that the disk is full.
        ExitSlot unreserved;
        EXPECT_EQ(unreserved.reserve(dirFd, "other.json"), ENOSPC);
        std::string record = "{\"exitCode\":1,\"noSpaceLeft\":true}\n";
        ASSERT_EQ(slot.write(record), 0);
        EXPECT_EQ(read_text(disk.path() + "/exit.json"), record);
    }
    ::close(dirFd);
}

}  // namespace
