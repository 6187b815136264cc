// Finding the runner's children (see descendants.h).
#include "runner/descendants.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace cj::runner {

namespace {

bool all_digits(const char* name) {
    if (*name == '\0') return false;
    for (; *name != '\0'; ++name)
        if (*name < '0' || *name > '9') return false;
    return true;
}

// The names of the numeric entries of a /proc folder.
std::vector<std::string> numeric_entries(const std::string& folder) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) return names;
    while (dirent* entry = ::readdir(dir))
        if (all_digits(entry->d_name)) names.emplace_back(entry->d_name);
    ::closedir(dir);
    return names;
}

// Field 4 of /proc/<pid>/stat, counted after the last ')' as the name may hold anything.
pid_t parent_of(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close + 1));
    std::string state;
    long ppid = -1;
    fields >> state >> ppid;
    return fields ? static_cast<pid_t>(ppid) : -1;
}

}  // namespace

bool become_subreaper() {
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

std::vector<pid_t> child_pids() {
    std::vector<pid_t> pids;
    std::string self = std::to_string(::getpid());
    bool listed = false;
    for (const auto& tid : numeric_entries("/proc/" + self + "/task")) {
        std::ifstream in("/proc/" + self + "/task/" + tid + "/children");
        if (!in) continue;
        listed = true;
        for (long pid = 0; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
    }
    if (!listed) {
        // Kernels built without CONFIG_PROC_CHILDREN: every process's parent, one by one.
        for (const auto& pid : numeric_entries("/proc"))
            if (parent_of(pid) == ::getpid()) pids.push_back(static_cast<pid_t>(std::stol(pid)));
    }
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    return pids;
}

}  // namespace cj::runner
