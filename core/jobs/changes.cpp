#include "core/jobs/changes.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/util/clock.h"
#include "core/util/file_lock.h"
#include "core/util/shell_words.h"
#include "core/util/files.h"
#include "core/util/json_input.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;
using nlohmann::json;

namespace {



std::string command_line(const std::vector<std::string>& argv) {
    std::string out = "git";
    for (const auto& a : argv) out += " " + util::shell_word(a);
    return out;
}

std::vector<FileChange> parse_numstat(const std::string& text) {
    std::vector<FileChange> files;
    for (const auto& item : git::split_nul(text)) {
        auto t1 = item.find('\t');
        auto t2 = t1 == std::string::npos ? t1 : item.find('\t', t1 + 1);
        if (t2 == std::string::npos) continue;
        FileChange f;
        std::string ins = item.substr(0, t1), del = item.substr(t1 + 1, t2 - t1 - 1);
        f.binary = ins == "-";
        if (!f.binary) {
            f.insertions = std::stoll(ins);
            f.deletions = std::stoll(del);
        }
        f.path = item.substr(t2 + 1);
        files.push_back(std::move(f));
    }
    return files;
}

std::vector<JobCommit> parse_log(const std::string& text) {
    std::vector<JobCommit> commits;
    for (const auto& item : git::split_nul(text)) {
        std::string line = item;
        while (!line.empty() && line.front() == '\n') line.erase(0, 1);
        auto space = line.find(' ');
        if (line.empty()) continue;
        commits.push_back({line.substr(0, space),
                           space == std::string::npos ? "" : line.substr(space + 1)});
    }
    return commits;
}

// `git apply`'s complaints, one per file: "error: patch failed: a.txt:3",
// "error: b.txt: already exists in working directory", "error: a.txt: patch does not apply".
std::vector<ApplyConflict> parse_apply_errors(const std::string& err) {
    std::vector<ApplyConflict> out;
    std::size_t start = 0;
    while (start < err.size()) {
        auto end = err.find('\n', start);
        if (end == std::string::npos) end = err.size();
        std::string line = err.substr(start, end - start);
        start = end + 1;
        if (line.rfind("error: ", 0) != 0) continue;
        line.erase(0, 7);
        ApplyConflict c;
        if (line.rfind("patch failed: ", 0) == 0) {
            std::string where = line.substr(14);
            auto colon = where.rfind(':');
            c.path = where.substr(0, colon);
            c.reason = "the original differs at line " + where.substr(colon + 1);
        } else {
            auto colon = line.rfind(": ");
            if (colon == std::string::npos) continue;
            c.path = line.substr(0, colon);
            c.reason = line.substr(colon + 2);
        }
        auto same = std::find_if(out.begin(), out.end(),
                                 [&](const ApplyConflict& o) { return o.path == c.path; });
        if (same == out.end())
            out.push_back(std::move(c));
        else if (same->reason.find(c.reason) == std::string::npos)
            same->reason += "; " + c.reason;
    }
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// Where and how the patch is applied to the original: the arguments after `git`.
std::vector<std::string> apply_argv(const IsolationRecord& iso, const std::string& patch) {
    if (iso.repoRoot.empty()) return {"-C", iso.original, "apply", "--", patch};
    if (iso.mode == IsolationMode::Copy && !iso.subdir.empty())
        return {"-C", iso.repoRoot, "apply", "--directory=" + iso.subdir, "--", patch};
    return {"-C", iso.repoRoot, "apply", "--", patch};
}

}  // namespace

const char* delivery_name(Delivery d) {
    switch (d) {
        case Delivery::Applied: return "applied";
        case Delivery::Merged: return "merged";
        case Delivery::Discarded: return "discarded";
        case Delivery::Nothing: return "nothing";
        case Delivery::Pending: break;
    }
    return "pending";
}

std::string ChangeRecord::summary() const {
    std::int64_t ins = 0, del = 0;
    for (const auto& f : files) ins += f.insertions, del += f.deletions;
    std::string s = "changes: " + std::to_string(files.size()) +
                    (files.size() == 1 ? " file" : " files") + " (+" + std::to_string(ins) + " -" +
                    std::to_string(del) + ")";
    if (!commits.empty())
        s += ", " + std::to_string(commits.size()) + (commits.size() == 1 ? " commit" : " commits");
    if (originalChangedDuringRun)
        s += "; the original changed meanwhile" +
             (overlapping.empty() ? std::string() : " (" + std::to_string(overlapping.size()) +
                                                        " overlapping)");
    if (delivery != Delivery::Pending) s += std::string("; ") + delivery_name(delivery);
    return s;
}

json ChangeRecord::to_json() const {
    json files_json = json::array();
    for (const auto& f : files)
        files_json.push_back({{"path", f.path},
                              {"insertions", f.insertions},
                              {"deletions", f.deletions},
                              {"binary", f.binary}});
    json commits_json = json::array();
    for (const auto& c : commits) commits_json.push_back({{"commit", c.commit}, {"subject", c.subject}});
    json j = {{"isolation", isolation_name(isolation)},
              {"workFolder", workFolder},
              {"baseCommit", baseCommit},
              {"commits", commits_json},
              {"files", files_json},
              {"patchFile", patchFile},
              {"patchBytes", patchBytes},
              {"originalChangedDuringRun", originalChangedDuringRun},
              {"overlappingFiles", overlapping},
              {"delivery", delivery_name(delivery)},
              {"unapplied", unapplied()},
              {"summary", summary()}};
    for (auto [key, value] : {std::pair{"branch", &branch},
                              {"checkout", &checkout},
                              {"leftoverCommit", &leftoverCommit},
                              {"applyCommand", &applyCommand},
                              {"mergeCommand", &mergeCommand}})
        if (!value->empty()) j[key] = *value;
    j["recordedAt"] = recordedAt;
    return j;
}

std::optional<ChangeRecord> ChangeRecord::from_json(const json& j) {
    try {
        ChangeRecord r;
        auto mode = parse_isolation(j.at("isolation").get<std::string>());
        if (!mode) return std::nullopt;
        r.isolation = *mode;
        r.workFolder = j.at("workFolder").get<std::string>();
        r.baseCommit = j.at("baseCommit").get<std::string>();
        for (const auto& c : j.at("commits"))
            r.commits.push_back({c.at("commit").get<std::string>(), c.at("subject").get<std::string>()});
        for (const auto& f : j.at("files"))
            r.files.push_back({f.at("path").get<std::string>(), f.at("insertions").get<std::int64_t>(),
                               f.at("deletions").get<std::int64_t>(), f.at("binary").get<bool>()});
        r.patchFile = j.at("patchFile").get<std::string>();
        r.patchBytes = j.at("patchBytes").get<std::int64_t>();
        r.originalChangedDuringRun = j.at("originalChangedDuringRun").get<bool>();
        r.overlapping = j.at("overlappingFiles").get<std::vector<std::string>>();
        std::string delivery = j.at("delivery").get<std::string>();
        for (auto d : {Delivery::Pending, Delivery::Applied, Delivery::Merged, Delivery::Discarded,
                       Delivery::Nothing})
            if (delivery == delivery_name(d)) r.delivery = d;
        r.branch = j.value("branch", "");
        r.checkout = j.value("checkout", "");
        r.leftoverCommit = j.value("leftoverCommit", "");
        r.applyCommand = j.value("applyCommand", "");
        r.mergeCommand = j.value("mergeCommand", "");
        r.recordedAt = j.value("recordedAt", std::int64_t{0});
        return r;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

std::optional<ChangeRecord> ChangeRecorder::load(const std::string& jobId) const {
    auto text = util::read_file(isolation_.dirs().file(jobId, kChangesFile), 16 << 20);
    if (!text || !*text) return std::nullopt;
    auto parsed = util::parse_json_input(**text);
    if (!parsed.ok()) return std::nullopt;
    return ChangeRecord::from_json(parsed.value);
}

Result<void> ChangeRecorder::save(const std::string& jobId, const ChangeRecord& record) const {
    return util::write_file_atomic(isolation_.dirs().dir(jobId), kChangesFile,
                                   record.to_json().dump(2) + "\n");
}

Result<std::optional<ChangeRecord>> ChangeRecorder::record(const std::string& jobId) {
    if (auto done = load(jobId)) return done;
    auto iso = isolation_.load(jobId);
    if (!iso) return std::optional<ChangeRecord>();
    util::FileLock lock(isolation_.dirs().file(jobId, "changes.lock"));
    if (auto done = load(jobId)) return done;  // another process recorded it meanwhile
    auto rec = compute(*iso);
    if (!rec) return rec.error();
    if (auto saved = save(jobId, *rec); !saved) return saved.error();
    return std::optional<ChangeRecord>(std::move(*rec));
}

Result<ChangeRecord> ChangeRecorder::compute(const IsolationRecord& iso) {
    const git::Git& git = isolation_.git();
    const std::string scratch = isolation_.dirs().dir(iso.jobId);
    ChangeRecord rec;
    rec.isolation = iso.mode;
    rec.workFolder = iso.original;
    rec.baseCommit = iso.baseCommit;
    rec.branch = iso.branch;
    rec.checkout = iso.checkout;
    rec.recordedAt = util::now_ms();
    GitRepo repo = iso.job_repo();
    std::string index = iso.mode == IsolationMode::Copy ? iso.gitDir + "/index" : "";
    if (index.empty()) {
        auto path = git.must(repo.dir, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
        if (!path) return path.error();
        index = git::trimmed(*path);
    }
    auto end = isolation_.snapshot(repo, scratch, index);
    if (!end) return end.error();
    std::string endTree = *end;
    if (iso.mode != IsolationMode::Copy && !iso.baseCommit.empty()) {
        auto log = git.must(repo.dir, {"log", "-z", "--reverse", "--format=%H %s",
                                       iso.baseCommit + "..HEAD"});
        if (!log) return log.error();
        rec.commits = parse_log(*log);
    }
    if (iso.mode == IsolationMode::Worktree)
        if (auto kept = commit_leftovers(iso, endTree, rec); !kept) return kept.error();
    std::vector<std::string> range = {"--no-renames", "--no-color", "--no-ext-diff", "--no-textconv",
                                      iso.startTree, endTree};
    auto numstat = range;
    numstat.insert(numstat.begin(), {"diff", "--numstat", "-z"});
    auto stat = git.must(repo.dir, repo.args(numstat));
    if (!stat) return stat.error();
    rec.files = parse_numstat(*stat);
    rec.patchFile = isolation_.dirs().file(iso.jobId, kChangesPatch);
    auto patch = range;
    patch.insert(patch.begin(), {"diff", "--binary", "--full-index", "--output=" + rec.patchFile});
    if (auto wrote = git.must(repo.dir, repo.args(patch)); !wrote) return wrote.error();
    rec.patchBytes = static_cast<std::int64_t>(util::file_size(rec.patchFile).value_or(0));
    if (auto ok = compare_original(iso, rec); !ok) return ok.error();
    if (iso.mode != IsolationMode::None && !rec.files.empty())
        rec.applyCommand = command_line(apply_argv(iso, rec.patchFile));
    if (iso.mode == IsolationMode::Worktree && (!rec.commits.empty() || !rec.leftoverCommit.empty()))
        rec.mergeCommand = command_line({"-C", iso.repoRoot, "merge", "--no-ff", iso.branch});
    if (rec.files.empty() && rec.commits.empty()) rec.delivery = Delivery::Nothing;
    if (iso.mode == IsolationMode::None) rec.delivery = Delivery::Nothing;  // already in place
    return rec;
}

// Whatever a worktree job left uncommitted goes on its branch too, so a merge delivers it.
Result<void> ChangeRecorder::commit_leftovers(const IsolationRecord& iso, const std::string& endTree,
                                              ChangeRecord& rec) {
    const git::Git& git = isolation_.git();
    auto head = git.must(iso.checkout, {"rev-parse", "HEAD^{tree}"});
    if (!head) return head.error();
    if (git::trimmed(*head) == endTree) return {};
    auto commit = git.must(iso.checkout, {"commit-tree", endTree, "-p", "HEAD", "-m",
                                          "Uncommitted changes left by job " + iso.jobId});
    if (!commit) return commit.error();
    rec.leftoverCommit = git::trimmed(*commit);
    if (auto moved = git.must(iso.checkout,
                              {"update-ref", "-m", "claude-jobs: job end", "HEAD", rec.leftoverCommit});
        !moved)
        return moved.error();
    git.run(iso.checkout, {"read-tree", "HEAD"});
    git.run(iso.checkout, {"update-index", "-q", "--refresh"});
    return {};
}

// Did the original folder change while the job ran, and where did it touch the job's files?
Result<void> ChangeRecorder::compare_original(const IsolationRecord& iso, ChangeRecord& rec) {
    if (iso.mode == IsolationMode::None || iso.originalTree.empty()) return {};
    const git::Git& git = isolation_.git();
    GitRepo original{iso.mode == IsolationMode::Copy ? iso.original : iso.repoRoot,
                     iso.mode == IsolationMode::Copy ? iso.gitDir : ""};
    std::string index;
    if (iso.mode == IsolationMode::Worktree) {
        auto path = git.must(iso.repoRoot, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
        if (!path) return path.error();
        index = git::trimmed(*path);
    }
    auto now = isolation_.snapshot(original, isolation_.dirs().dir(iso.jobId), index);
    if (!now) return now.error();
    if (*now == iso.originalTree) return {};
    rec.originalChangedDuringRun = true;
    auto names = git.must(original.dir, original.args({"diff", "--name-only", "-z", "--no-renames",
                                                        iso.originalTree, *now}));
    if (!names) return names.error();
    std::set<std::string> theirs;
    for (auto& n : git::split_nul(*names)) theirs.insert(n);
    for (const auto& f : rec.files)
        if (theirs.count(f.path)) rec.overlapping.push_back(f.path);
    return {};
}

Result<ApplyOutcome> ChangeRecorder::apply(const std::string& jobId, ApplyMode mode, bool check) {
    auto iso = isolation_.load(jobId);
    if (!iso)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + jobId + " has no change record: its work folder is not in git "
                                           "and it ran without isolation");
    auto rec = record(jobId);
    if (!rec) return rec.error();
    if (!*rec) return make_error(ErrorCode::NotFound, "job " + jobId + " has no change record");
    util::FileLock lock(isolation_.dirs().file(jobId, "changes.lock"));
    auto now = load(jobId);
    if (!now) return make_error(ErrorCode::Internal, "the change record of job " + jobId + " is unreadable");
    if (iso->mode == IsolationMode::None)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + jobId + " ran in the work folder itself: its changes are there "
                                           "already (see changes.patch to review them)");
    if (!check && (now->delivery == Delivery::Applied || now->delivery == Delivery::Merged))
        return make_error(ErrorCode::AlreadyExists,
                          "job " + jobId + "'s changes were " + delivery_name(now->delivery) + " already");
    if (now->delivery == Delivery::Discarded && mode == ApplyMode::Merge)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + jobId + " was discarded: its branch is gone; apply the patch instead");
    auto out = mode == ApplyMode::Merge ? merge_branch(*iso, *now, check)
                                        : apply_patch(*iso, *now, check);
    if (!out || check || !out->applied) return out;
    now->delivery = mode == ApplyMode::Merge ? Delivery::Merged : Delivery::Applied;
    if (auto saved = save(jobId, *now); !saved) return saved.error();
    return out;
}

Result<ApplyOutcome> ChangeRecorder::apply_patch(const IsolationRecord& iso, const ChangeRecord& rec,
                                                 bool check) {
    ApplyOutcome out;
    out.check = check;
    if (rec.files.empty()) {
        out.message = "the job changed no file: nothing to apply";
        return out;
    }
    auto argv = apply_argv(iso, rec.patchFile);
    out.command = command_line(argv);
    // argv is {-C, dir, apply, …}: git's -C goes through Git::run's own.
    std::vector<std::string> args(argv.begin() + 2, argv.end());
    std::vector<std::string> dry = args;
    dry.insert(dry.begin() + 1, "--check");
    auto tried = isolation_.git().run(argv[1], dry);
    if (!tried.ok()) {
        out.conflicts = parse_apply_errors(tried.err);
        if (out.conflicts.empty()) out.conflicts.push_back({"", git::trimmed(tried.err)});
        out.message = "the patch does not apply to " + argv[1] + " (" +
                      std::to_string(out.conflicts.size()) + " file(s)); nothing was changed";
        return out;
    }
    if (check) {
        out.message = "the patch applies cleanly to " + argv[1] + " (dry run: nothing was changed)";
        return out;
    }
    auto applied = isolation_.git().run(argv[1], args);
    if (!applied.ok()) {
        out.conflicts = parse_apply_errors(applied.err);
        out.message = "the patch did not apply (git apply changes all files or none): " +
                      git::trimmed(applied.err);
        return out;
    }
    out.applied = true;
    out.message = "applied " + std::to_string(rec.files.size()) + " file(s) to " + argv[1];
    return out;
}

Result<ApplyOutcome> ChangeRecorder::merge_branch(const IsolationRecord& iso, const ChangeRecord& rec,
                                                  bool check) {
    if (iso.mode != IsolationMode::Worktree)
        return make_error(ErrorCode::InvalidArgument,
                          "only a worktree job has a branch to merge; use mode \"patch\"");
    ApplyOutcome out;
    out.check = check;
    out.command = rec.mergeCommand;
    if (rec.commits.empty() && rec.leftoverCommit.empty()) {
        out.message = "the job's branch has nothing to merge";
        return out;
    }
    const git::Git& git = isolation_.git();
    auto tried = git.run(iso.repoRoot, {"merge-tree", "--write-tree", "--name-only", "--no-messages",
                                        "HEAD", iso.branch});
    if (tried.exitCode == 1) {
        auto names = split_lines(tried.out);
        for (std::size_t i = 1; i < names.size(); ++i)
            out.conflicts.push_back({names[i], "changed on both sides"});
        out.message = "merging " + iso.branch + " conflicts in " + std::to_string(out.conflicts.size()) +
                      " file(s); nothing was changed";
        return out;
    }
    if (!tried.ok())
        return make_error(ErrorCode::Unavailable, "git merge-tree failed: " + git::trimmed(tried.err));
    if (check) {
        out.message = iso.branch + " merges cleanly (dry run: nothing was changed)";
        return out;
    }
    auto merged = git.run(iso.repoRoot, {"merge", "--no-ff", "--no-edit", "-m",
                                         "Merge job " + iso.jobId + " (" + iso.branch + ")", iso.branch});
    if (!merged.ok()) {
        auto head = git.run(iso.repoRoot, {"rev-parse", "-q", "--verify", "MERGE_HEAD"});
        if (head.ok()) git.run(iso.repoRoot, {"merge", "--abort"});
        for (const auto& line : split_lines(merged.err))
            if (!line.empty() && line[0] == '\t')
                out.conflicts.push_back({line.substr(1), "has local changes the merge would overwrite"});
        out.message = "the merge did not happen, nothing was changed: " +
                      git::trimmed(merged.err.empty() ? merged.out : merged.err);
        return out;
    }
    out.applied = true;
    out.message = "merged " + iso.branch + " into " + iso.repoRoot;
    return out;
}

Result<ChangeRecord> ChangeRecorder::discard(const std::string& jobId) {
    auto iso = isolation_.load(jobId);
    if (!iso || iso->mode == IsolationMode::None)
        return make_error(ErrorCode::InvalidArgument,
                          "job " + jobId + " ran in its work folder: it has no worktree or copy to discard");
    auto rec = record(jobId);
    if (!rec) return rec.error();
    util::FileLock lock(isolation_.dirs().file(jobId, "changes.lock"));
    if (auto removed = isolation_.remove_checkout(*iso, false); !removed) return removed.error();
    ChangeRecord now = load(jobId).value_or(ChangeRecord{});
    now.checkout.clear();
    if (now.delivery == Delivery::Pending) now.delivery = Delivery::Discarded;
    if (auto saved = save(jobId, now); !saved) return saved.error();
    return now;
}

bool ChangeRecorder::expire(const std::string& jobId, std::int64_t endedAt, int keepDays,
                            std::string& note) {
    if (keepDays <= 0 || util::now_ms() - endedAt < keepDays * 86400000LL) return false;
    auto iso = isolation_.load(jobId);
    std::error_code ec;
    if (!iso || iso->checkout.empty() || !std::filesystem::exists(iso->checkout, ec)) return false;
    auto rec = record(jobId);
    util::FileLock lock(isolation_.dirs().file(jobId, "changes.lock"));
    auto now = load(jobId);
    bool keepBranch = false;
    if (iso->mode == IsolationMode::Worktree && now && now->unapplied()) {
        auto ahead = isolation_.git().run(iso->repoRoot, {"rev-list", "--count", "HEAD.." + iso->branch});
        keepBranch = !ahead.ok() || git::trimmed(ahead.out) != "0";
    }
    isolation_.remove_checkout(*iso, keepBranch);
    if (keepBranch)
        note = "job " + jobId + ": removed its worktree after " + std::to_string(keepDays) +
               " days but kept branch " + iso->branch + ", whose commits were never applied";
    if (now) {
        now->checkout.clear();
        save(jobId, *now);
    }
    return true;
}

}  // namespace cj::jobs
