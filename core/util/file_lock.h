// An exclusive flock(2) on a file while the object lives, shared by every process using the
// same path. The kernel drops it when its holder ends however it ends (kill -9 included), so
// a free lock also says "nobody is at work here".
#pragma once

#include <string>

namespace cj::util {

class FileLock {
  public:
    enum class Mode { Wait, Try };
    // Creates the file (0600, no symlink followed). Try: held() is false when another
    // holds it; Wait blocks until it is free. held() is also false when the file cannot be
    // opened.
    explicit FileLock(const std::string& path, Mode mode = Mode::Wait);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

    bool held() const { return held_; }

  private:
    int fd_ = -1;
    bool held_ = false;
};

}  // namespace cj::util
