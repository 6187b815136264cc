#include "core/jobs/isolation.h"

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "common/command.h"
#include "core/transcript/text.h"
#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {

Result<void> invalid(std::string message) {
    return make_error(ErrorCode::InvalidArgument, std::move(message));
}

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) return {};
    return buf;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// cp -a, sharing blocks (reflink) where the filesystem can; never through a shell.
Result<void> copy_tree(const std::string& from, const std::string& to) {
    plugin_common::CommandOptions o;
    o.timeout = std::chrono::minutes(10);
    o.workDir = "/";
    auto r = plugin_common::run_captured({"/bin/cp", "-a", "--reflink=auto", "-T", "--", from, to}, o);
    if (r.started && !r.timedOut && r.exitCode == 0) return {};
    return make_error(ErrorCode::Unavailable, plugin_common::describe_failure("copying " + from, r));
}

}  // namespace

const char* isolation_name(IsolationMode mode) {
    switch (mode) {
        case IsolationMode::Worktree: return "worktree";
        case IsolationMode::Copy: return "copy";
        case IsolationMode::None: break;
    }
    return "none";
}

std::optional<IsolationMode> parse_isolation(const std::string& name) {
    for (auto m : {IsolationMode::None, IsolationMode::Worktree, IsolationMode::Copy})
        if (name == isolation_name(m)) return m;
    return std::nullopt;
}

std::vector<std::string> GitRepo::args(std::vector<std::string> rest) const {
    if (gitDir.empty()) return rest;
    rest.insert(rest.begin(), {"--git-dir=" + gitDir, "--work-tree=" + dir});
    return rest;
}

GitRepo IsolationRecord::job_repo() const {
    switch (mode) {
        case IsolationMode::Worktree: return {checkout, ""};
        case IsolationMode::Copy: return {checkout, gitDir};
        case IsolationMode::None: break;
    }
    return {repoRoot, ""};
}

json IsolationRecord::to_json() const {
    return {{"mode", isolation_name(mode)}, {"jobId", jobId},
            {"original", original},         {"repoRoot", repoRoot},
            {"subdir", subdir},             {"checkout", checkout},
            {"runFolder", runFolder},       {"branch", branch},
            {"gitDir", gitDir},             {"baseCommit", baseCommit},
            {"startTree", startTree},       {"originalTree", originalTree},
            {"includeUncommitted", includeUncommitted}};
}

std::optional<IsolationRecord> IsolationRecord::from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    auto mode = parse_isolation(j.value("mode", ""));
    if (!mode) return std::nullopt;
    IsolationRecord r;
    r.mode = *mode;
    for (auto [key, field] : {std::pair{"jobId", &r.jobId},
                              {"original", &r.original},
                              {"repoRoot", &r.repoRoot},
                              {"subdir", &r.subdir},
                              {"checkout", &r.checkout},
                              {"runFolder", &r.runFolder},
                              {"branch", &r.branch},
                              {"gitDir", &r.gitDir},
                              {"baseCommit", &r.baseCommit},
                              {"startTree", &r.startTree},
                              {"originalTree", &r.originalTree}}) {
        auto it = j.find(key);
        if (it == j.end() || !it->is_string()) return std::nullopt;
        *field = it->get<std::string>();
    }
    r.includeUncommitted = j.value("includeUncommitted", false);
    return r;
}

Isolation::Isolation(std::string stateDir, JobDirs dirs, git::Git git)
    : stateDir_(std::move(stateDir)), dirs_(std::move(dirs)), git_(std::move(git)) {}

std::optional<IsolationRecord> Isolation::load(const std::string& jobId) const {
    auto text = util::read_file(dirs_.file(jobId, kIsolationFile), 1 << 20);
    if (!text || !*text) return std::nullopt;
    auto parsed = util::parse_json_input(**text);
    if (!parsed.ok()) return std::nullopt;
    return IsolationRecord::from_json(parsed.value);
}

Result<void> Isolation::save(const IsolationRecord& record) const {
    return util::write_file_atomic(dirs_.dir(record.jobId), kIsolationFile,
                                   record.to_json().dump(2) + "\n");
}

// Fills repoRoot, subdir and baseCommit from the work folder ("" when it is not in git).
Result<void> Isolation::locate(IsolationRecord& r) {
    auto top = git_.run(r.original, {"rev-parse", "--show-toplevel", "--show-prefix"});
    if (!top.ok()) return {};  // not a repository (or no git): nothing to record
    auto parts = lines(top.out);
    r.repoRoot = parts.size() > 0 ? parts[0] : "";
    r.subdir = parts.size() > 1 ? parts[1] : "";
    while (!r.subdir.empty() && r.subdir.back() == '/') r.subdir.pop_back();
    auto head = git_.run(r.repoRoot, {"rev-parse", "--verify", "-q", "HEAD^{commit}"});
    if (head.ok()) r.baseCommit = git::trimmed(head.out);
    return {};
}

Result<std::string> Isolation::checkout_path(const std::string& jobId) {
    if (auto made = util::make_private_dirs(checkouts_root()); !made) return made.error();
    std::string root = real_path(checkouts_root());
    if (root.empty()) return make_error(ErrorCode::Unavailable, "cannot resolve " + checkouts_root());
    return root + "/" + jobId;
}

Result<std::string> Isolation::snapshot(const GitRepo& repo, const std::string& scratch,
                                        const std::string& baseIndex) const {
    std::string index = scratch + "/snapshot.index";
    std::error_code ec;
    std::filesystem::remove(index, ec);
    if (!baseIndex.empty() && std::filesystem::exists(baseIndex, ec)) {
        // The copy keeps the index's time: git trusts an entry's stat only when the file is
        // older than its index, and a copy made now would pass a same-size edit made in the
        // second of the checkout as unchanged.
        std::filesystem::copy_file(baseIndex, index, ec);
        if (!ec) std::filesystem::last_write_time(index, std::filesystem::last_write_time(baseIndex), ec);
    }
    if (ec) return make_error(ErrorCode::Unavailable, "cannot copy the index: " + ec.message());
    git::RunOptions o;
    o.env = {"GIT_INDEX_FILE=" + index};
    auto added = git_.must(repo.dir, repo.args({"add", "-A"}), o);
    auto tree = added ? git_.must(repo.dir, repo.args({"write-tree"}), o) : added;
    std::filesystem::remove(index, ec);
    if (!tree) return tree.error();
    return git::trimmed(*tree);
}

Result<void> Isolation::add_worktree(IsolationRecord& r) {
    if (r.repoRoot.empty())
        return invalid("isolation \"worktree\" needs a git repository, and " + r.original +
                       " is not in one; use isolation \"copy\" for a plain folder");
    if (r.baseCommit.empty())
        return invalid("isolation \"worktree\" needs a commit to start from, and the repository " +
                       r.repoRoot + " has none yet (or its HEAD is broken)");
    auto branch = git::job_branch(r.jobId);
    if (!branch) return branch.error();
    auto path = checkout_path(r.jobId);
    if (!path) return path.error();
    std::string scratch = dirs_.dir(r.jobId);
    auto index = git_.must(r.repoRoot, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
    if (!index) return index.error();
    // The original as it is now: everything, staged or not, tracked or not.
    auto whole = snapshot(GitRepo{r.repoRoot, ""}, scratch, git::trimmed(*index));
    if (!whole) return whole.error();
    r.originalTree = *whole;
    std::vector<std::string> add = {"worktree", "add", "-q"};
    if (r.includeUncommitted) add.push_back("--no-checkout");
    add.insert(add.end(), {"-b", *branch, "--", *path, r.baseCommit});
    // A branch or folder of that name that exists already is not ours to remove on failure.
    if (auto made = git_.must(r.repoRoot, add); !made) return made.error();
    r.branch = *branch;
    r.checkout = *path;
    r.startTree = r.originalTree;
    if (!r.includeUncommitted) {
        auto tree = git_.must(r.checkout, {"rev-parse", "HEAD^{tree}"});
        if (!tree) return tree.error();
        r.startTree = git::trimmed(*tree);
    } else if (auto carried = carry_uncommitted(r, git::trimmed(*index)); !carried) {
        return carried.error();
    }
    r.runFolder = r.subdir.empty() ? r.checkout : r.checkout + "/" + r.subdir;
    return {};
}

// The worktree gets the original's whole state as files, and its staged state as its index:
// what was staged stays staged, unstaged stays unstaged, untracked stays untracked.
Result<void> Isolation::carry_uncommitted(IsolationRecord& r, const std::string& originalIndex) {
    git::RunOptions o;
    std::string index = dirs_.dir(r.jobId) + "/staged.index";
    std::error_code ec;
    std::filesystem::copy_file(originalIndex, index,
                               std::filesystem::copy_options::overwrite_existing, ec);
    o.env = {"GIT_INDEX_FILE=" + index};
    auto staged = ec ? Result<std::string>(make_error(ErrorCode::Unavailable,
                                                      "cannot copy the index: " + ec.message()))
                     : git_.must(r.repoRoot, {"write-tree"}, o);
    std::filesystem::remove(index, ec);
    if (!staged) return staged.error();
    if (auto w = git_.must(r.checkout, {"read-tree", "-u", "--reset", r.originalTree}); !w)
        return w.error();
    if (auto i = git_.must(r.checkout, {"read-tree", git::trimmed(*staged)}); !i) return i.error();
    git_.run(r.checkout, {"update-index", "-q", "--refresh"});
    return {};
}

Result<void> Isolation::make_copy(IsolationRecord& r) {
    auto path = checkout_path(r.jobId);
    if (!path) return path.error();
    std::error_code ec;
    if (std::filesystem::exists(*path, ec))
        return make_error(ErrorCode::AlreadyExists, *path + " exists already; it is not replaced");
    r.checkout = *path;
    r.runFolder = r.checkout;
    r.gitDir = dirs_.dir(r.jobId) + "/copy.git";
    if (auto copied = copy_tree(r.original, r.checkout); !copied) return copied.error();
    if (auto init = git_.must("/", {"init", "-q", "--bare", "--", r.gitDir}); !init)
        return init.error();
    GitRepo copy{r.checkout, r.gitDir};
    auto tree = snapshot(copy, dirs_.dir(r.jobId), "");
    if (!tree) return tree.error();
    // Keep the index of the start: later snapshots of the copy only rehash what changed.
    git::RunOptions keep;
    keep.env = {"GIT_INDEX_FILE=" + r.gitDir + "/index"};
    if (auto read = git_.must(r.checkout, copy.args({"read-tree", *tree}), keep); !read)
        return read.error();
    r.startTree = *tree;
    r.originalTree = *tree;
    return {};
}

Result<IsolationRecord> Isolation::prepare(const std::string& jobId, const std::string& workFolder,
                                           IsolationMode mode, bool includeUncommitted) {
    IsolationRecord r;
    r.mode = mode;
    r.jobId = jobId;
    r.original = workFolder;
    r.runFolder = workFolder;
    r.includeUncommitted = includeUncommitted;
    if (auto ok = git::check_path("workFolder", workFolder); !ok) return ok.error();
    if (includeUncommitted && mode != IsolationMode::Worktree)
        return make_error(ErrorCode::InvalidArgument,
                          "includeUncommitted goes with isolation \"worktree\"");
    if (auto located = locate(r); !located) return located.error();
    Result<void> made;
    if (mode == IsolationMode::Worktree) made = add_worktree(r);
    if (mode == IsolationMode::Copy) made = make_copy(r);
    if (!made) {
        remove_checkout(r, false);
        return made.error();
    }
    if (mode == IsolationMode::None && r.repoRoot.empty()) return r;
    if (mode == IsolationMode::None) r.startTree = r.baseCommit.empty() ? "" : r.baseCommit + "^{tree}";
    if (auto saved = save(r); !saved) {
        remove_checkout(r, false);
        return saved.error();
    }
    return r;
}

Result<void> Isolation::remove_checkout(const IsolationRecord& r, bool keepBranch) {
    std::error_code ec;
    if (r.mode == IsolationMode::Worktree && !r.checkout.empty()) {
        if (std::filesystem::exists(r.checkout, ec))
            git_.run(r.repoRoot, {"worktree", "remove", "--force", "--force", "--", r.checkout});
        if (std::filesystem::exists(r.checkout, ec)) util::remove_tree(r.checkout);
        git_.run(r.repoRoot, {"worktree", "prune"});
        if (!keepBranch && !r.branch.empty())
            git_.run(r.repoRoot, {"branch", "-D", "-q", r.branch});
    }
    if (r.mode == IsolationMode::Copy && !r.checkout.empty()) util::remove_tree(r.checkout);
    return {};
}

}  // namespace cj::jobs
