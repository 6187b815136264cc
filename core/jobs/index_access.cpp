#include "core/jobs/index_access.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/jobs/sqlite_db.h"

namespace cj::jobs {

using claude_jobs::ErrorCode;
using claude_jobs::make_error;
using claude_jobs::Result;

namespace {

constexpr int kReaderBusyMs = 5000;
// Between attempts to begin while another process holds the write lock.
constexpr auto kBusyPause = std::chrono::milliseconds(20);
// After a failure that is not a lock (a full disk, an I/O error): background writes wait this
// long before trying again.
constexpr auto kFailurePause = std::chrono::seconds(1);
// At the end, queued background writes get this long to reach the disk.
constexpr auto kStopFlush = std::chrono::seconds(2);
constexpr std::size_t kMaxBatch = 500;

void exec_quietly(sqlite3* db, const char* sql) {
    sqlite::run(db, sql);
}

// The writer whose batch this thread is writing right now, if any: a done callback or a
// transition listener that writes again must not wait for a batch behind its own.
thread_local const void* tl_writing = nullptr;

}  // namespace

// ---- ReaderPool ---------------------------------------------------------------------------

ReaderPool::ReaderPool(std::string path, int maxConnections)
    : path_(std::move(path)), max_(std::max(1, maxConnections)) {}

ReaderPool::~ReaderPool() {
    for (sqlite3* db : idle_) {
        sqlite::forget_statements(db);
        sqlite3_close_v2(db);
    }
}

Result<ReaderPool::Lease> ReaderPool::take() {
    std::unique_lock<std::mutex> lock(mutex_);
    freed_.wait(lock, [this] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
        sqlite3* db = idle_.back();
        idle_.pop_back();
        return Lease(this, db);
    }
    ++open_;
    lock.unlock();
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    if (sqlite3_open_v2(path_.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        std::lock_guard<std::mutex> relock(mutex_);
        --open_;
        freed_.notify_one();
        return make_error(ErrorCode::Unavailable,
                          "cannot open the job index " + path_ + ": " + message, 0, true);
    }
    sqlite3_busy_timeout(db, kReaderBusyMs);
    sqlite::keep_wal(db);
    return Lease(this, db);
}

void ReaderPool::give_back(sqlite3* db) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(db);
    }
    freed_.notify_one();
}

// ---- IndexWriter --------------------------------------------------------------------------

struct IndexWriter::Item {
    enum class State { Queued, Applying, Done, Dropped };
    WriteOp op;
    State state = State::Queued;
    Result<void> result;
};

IndexWriter::IndexWriter(sqlite3* db, std::function<void()> onTransition)
    : db_(db), onTransition_(std::move(onTransition)) {
    sqlite3_busy_timeout(db_, static_cast<int>(kAttempt.count()));
    thread_ = std::thread([this] { loop(); });
}

IndexWriter::~IndexWriter() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

Result<WriteState> IndexWriter::submit(WriteOp op) {
    auto item = std::make_shared<Item>();
    item->op = std::move(op);
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_)
        return make_error(ErrorCode::Unavailable, "job index: the server is stopping", 0, true);
    queue_.push_back(item);
    using State = Item::State;
    // From inside a batch (a done callback) nothing can be waited for: it is queued, and
    // written after the batch by the writer's thread.
    if (tl_writing == this) {
        if (item->op.background) return WriteState::Pending;
        item->state = State::Dropped;
        queue_.pop_back();
        return make_error(ErrorCode::Internal,
                          "job index: a write was asked for from the writer's own thread");
    }
    // The caller leaves an item it no longer waits for to the writer's thread.
    auto hand_over = [this] { wake_.notify_one(); };
    for (;;) {
        if (item->state == State::Done) {
            if (!item->result) return item->result.error();
            return WriteState::Done;
        }
        if (item->state == State::Dropped) return item->result.error();
        auto now = std::chrono::steady_clock::now();
        if (now >= item->op.deadline && item->state == State::Queued) {
            if (item->op.background) {
                hand_over();
                return WriteState::Pending;
            }
            item->state = State::Dropped;
            queue_.erase(std::find(queue_.begin(), queue_.end(), item));
            return make_error(ErrorCode::Unavailable,
                              "job index: another process holds its write lock" +
                                  (lastBusy_.empty() ? std::string() : " (" + lastBusy_ + ")") +
                                  "; nothing was written — try again",
                              0, true);
        }
        // Nobody is writing: this caller writes the queue, its own write with it.
        if (item->state == State::Queued && !writing_) {
            write_batch(lock);
            continue;
        }
        // An item being applied is waited for: its batch holds the lock and ends promptly.
        if (item->state == State::Applying || now >= item->op.deadline)
            done_.wait_for(lock, kAttempt);
        else
            done_.wait_until(lock, item->op.deadline);
    }
}

IndexWriter::Attempt IndexWriter::write_batch(std::unique_lock<std::mutex>& lock) {
    writing_ = true;
    std::vector<std::shared_ptr<Item>> batch;
    for (auto& queued : queue_) {
        if (batch.size() == kMaxBatch) break;
        batch.push_back(queued);
    }
    lock.unlock();
    const void* outer = tl_writing;
    tl_writing = this;
    Attempt attempt = Attempt::Failed;
    try {
        attempt = run_batch(batch);
    } catch (...) {
        // run_batch reports errors as values; an allocation failure must not leave the
        // writer marked busy for ever.
        spdlog::error("job index: a batch of writes failed unexpectedly");
    }
    tl_writing = outer;
    lock.lock();
    writing_ = false;
    done_.notify_all();
    // What is still queued: its callers (woken above) write it, or the writer's thread does;
    // the thread also grows the WAL once it is wanted. Told now that the batch is over
    // (writing_ is false): told earlier, the thread would find a batch still being written
    // and wait on.
    if (!queue_.empty() || wal_ == Wal::Wanted) wake_.notify_one();
    return attempt;
}

void IndexWriter::finish(const std::shared_ptr<Item>& item, Result<void> result) {
    item->result = std::move(result);
    item->state = Item::State::Done;
}

void IndexWriter::after(const std::vector<std::shared_ptr<Item>>& finished) {
    for (const auto& item : finished) {
        if (!item->op.onDone || item->state != Item::State::Done) continue;
        try {
            item->op.onDone(item->result);
        } catch (const std::exception& e) {
            spdlog::error("job index: after a write: {}", e.what());
        }
    }
}

// Begins, applies each op in a savepoint, commits. When it could not begin or commit, the
// batch's items are queued again or answered, as their kind says.
IndexWriter::Attempt IndexWriter::run_batch(std::vector<std::shared_ptr<Item>>& batch) {
    bool durable = std::any_of(batch.begin(), batch.end(), [](auto& i) { return i->op.durable; });
    if (durable) exec_quietly(db_, "PRAGMA synchronous=FULL");
    struct Restore {
        sqlite3* db;
        bool on;
        ~Restore() {
            if (on) exec_quietly(db, "PRAGMA synchronous=NORMAL");
        }
    } restore{db_, durable};
    if (sqlite::run(db_, "BEGIN IMMEDIATE") != SQLITE_OK) {
        bool busy = sqlite3_errcode(db_) == SQLITE_BUSY;
        claude_jobs::Error e = sqlite::db_error(db_, "begin");
        std::lock_guard<std::mutex> lock(mutex_);
        lastBusy_ = sqlite3_errmsg(db_);
        if (!busy)
            for (auto& item : batch)  // not a lock: foreground callers hear of it now
                if (item->state == Item::State::Queued && !item->op.background) {
                    queue_.erase(std::find(queue_.begin(), queue_.end(), item));
                    finish(item, e);
                }
        return busy ? Attempt::Busy : Attempt::Failed;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::shared_ptr<Item>> live;
        for (auto& item : batch) {
            if (item->state != Item::State::Queued) continue;  // dropped by its caller meanwhile
            item->state = Item::State::Applying;
            queue_.erase(std::find(queue_.begin(), queue_.end(), item));
            live.push_back(item);
        }
        batch.swap(live);
    }
    std::vector<Result<void>> results;
    for (auto& item : batch) {
        exec_quietly(db_, "SAVEPOINT op");
        Result<void> r;
        try {
            r = item->op.apply(db_);
        } catch (const std::exception& e) {
            r = make_error(ErrorCode::Internal, std::string("job index: ") + e.what());
        }
        if (!r) exec_quietly(db_, "ROLLBACK TO op");
        exec_quietly(db_, "RELEASE op");
        results.push_back(std::move(r));
    }
    bool committed = sqlite::run(db_, "COMMIT") == SQLITE_OK;
    claude_jobs::Error commitError =
        committed ? claude_jobs::Error{} : sqlite::db_error(db_, "commit");
    if (!committed) exec_quietly(db_, "ROLLBACK");
    // Listeners hear of a change before its writer is answered, so whatever the writer does
    // next happens after the nudge.
    bool transition = false;
    for (std::size_t i = 0; committed && i < batch.size(); ++i)
        transition = transition || (results[i] && batch[i]->op.logged && *batch[i]->op.logged);
    if (transition && onTransition_) onTransition_();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (committed && durable && wal_ == Wal::Unchecked) wal_ = Wal::Wanted;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto& item = batch[i];
            if (committed) {
                finish(item, std::move(results[i]));
            } else if (item->op.background) {
                item->state = Item::State::Queued;  // tried again after a pause
                queue_.push_front(item);
            } else {
                finish(item, commitError);
            }
        }
    }
    after(batch);
    return committed ? Attempt::Committed : Attempt::Failed;
}

void IndexWriter::grow_wal(std::unique_lock<std::mutex>& lock) {
    wal_ = Wal::Done;
    writing_ = true;  // callers of this process wait, as for a batch
    lock.unlock();
    if (sqlite::run(db_, "BEGIN IMMEDIATE") == SQLITE_OK) {
        if (auto grown = sqlite::grow_wal(db_); !grown)
            spdlog::debug("job index: the WAL was not grown: {}", grown.error().message);
        exec_quietly(db_, "ROLLBACK");
    }
    lock.lock();
    writing_ = false;
    done_.notify_all();
}

void IndexWriter::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    std::chrono::steady_clock::time_point stopBy{};
    for (;;) {
        wake_.wait(lock, [this] {
            return (stopping_ || !queue_.empty() || wal_ == Wal::Wanted) && !writing_;
        });
        if (!stopping_ && queue_.empty() && wal_ == Wal::Wanted) {
            grow_wal(lock);
            continue;
        }
        if (stopping_) {
            if (stopBy == std::chrono::steady_clock::time_point{})
                stopBy = std::chrono::steady_clock::now() + kStopFlush;
            if (queue_.empty() || std::chrono::steady_clock::now() >= stopBy) break;
        }
        Attempt attempt = write_batch(lock);
        if (attempt == Attempt::Busy || (attempt == Attempt::Failed && stopping_))
            wake_.wait_for(lock, kBusyPause);
        else if (attempt == Attempt::Failed)
            wake_.wait_for(lock, kFailurePause);
    }
    // What could not be written in time is answered; ends are found again from the job
    // folders by the next reader, so nothing a job left is lost.
    if (!queue_.empty())
        spdlog::warn("job index: {} write(s) were not written before the server stopped",
                     queue_.size());
    for (auto& item : queue_)
        finish(item,
               make_error(ErrorCode::Unavailable,
                          "job index: the server stopped before it could write this", 0, true));
    queue_.clear();
    done_.notify_all();
}

}  // namespace cj::jobs
