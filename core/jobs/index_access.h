// How the job index reaches SQLite without one call blocking the others:
//   ReaderPool  — each read takes a connection of its own (WAL readers never wait for a
//                 writer, nor for each other);
//   IndexWriter — applies queued writes in batches on the one write connection, one
//                 transaction and one sync for all of them (group commit: every caller is
//                 answered after the commit that covers its write). A caller that finds no
//                 batch being written writes the queue itself, on its own thread; writes
//                 arriving meanwhile wait and go together in the next batch, written by one of
//                 their callers. No thread hand-off on the way (on a busy machine each can
//                 cost a scheduler tick). The writer's own thread only takes what nobody waits
//                 for: background writes whose callers went on, and retries. A write that
//                 cannot begin because another process holds the index's write lock is
//                 retried; the caller waits only until its deadline — a foreground write not
//                 begun by then is dropped and reported busy, a background one stays queued
//                 until it is done (an end is never lost to a locked index).
//
// Thread-safety: both may be used from any thread.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "claude_jobs/result.h"

namespace cj::jobs {

class ReaderPool {
  public:
    ReaderPool(std::string path, int maxConnections);
    ~ReaderPool();
    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;

    // A connection for one read, given back when the lease ends.
    class Lease {
      public:
        Lease(ReaderPool* pool, sqlite3* db) : pool_(pool), db_(db) {}
        Lease(Lease&& other) noexcept : pool_(other.pool_), db_(other.db_) { other.db_ = nullptr; }
        Lease(const Lease&) = delete;
        ~Lease() {
            if (db_) pool_->give_back(db_);
        }
        sqlite3* db() const { return db_; }

      private:
        ReaderPool* pool_;
        sqlite3* db_;
    };
    claude_jobs::Result<Lease> take();

  private:
    void give_back(sqlite3* db);

    std::string path_;
    int max_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<sqlite3*> idle_;
    int open_ = 0;
};

struct WriteOp {
    // Runs on the writer thread inside the batch's transaction (in a savepoint of its own, so
    // its failure undoes only itself). Must not call back into the index.
    std::function<claude_jobs::Result<void>(sqlite3*)> apply;
    bool durable = false;  // the commit that covers it is synchronous=FULL
    // Set by apply when it logged a state change: listeners hear of the commit then.
    std::shared_ptr<bool> logged;
    bool background = false;  // done eventually, whatever the caller's deadline
    std::chrono::steady_clock::time_point deadline;
    // Background writes: runs on the writer thread once the write is done, whether or not
    // the caller still waits. It may submit further writes (it runs outside the writer's
    // lock) but must not wait for them.
    std::function<void(const claude_jobs::Result<void>&)> onDone;
};

enum class WriteState { Done, Pending };

class IndexWriter {
  public:
    // db: the write connection (owned by the caller, used only by the writer from now on,
    // one batch at a time); onTransition: called after a commit that covered a logged
    // transition.
    IndexWriter(sqlite3* db, std::function<void()> onTransition);
    ~IndexWriter();
    IndexWriter(const IndexWriter&) = delete;
    IndexWriter& operator=(const IndexWriter&) = delete;

    // Done (with the op's own error, if it failed), or — background ops only — Pending when
    // the deadline passed first. A foreground op not begun by its deadline is dropped and
    // answered Unavailable (retryable).
    claude_jobs::Result<WriteState> submit(WriteOp op);

    // How long a write waits for another process's lock before it is reported busy.
    static constexpr std::chrono::milliseconds kAttempt{100};

  private:
    struct Item;
    enum class Attempt { Committed, Busy, Failed };
    void loop();
    // Writes one batch of the queue as the writer of the moment (called and returning with
    // the lock held; released while writing).
    Attempt write_batch(std::unique_lock<std::mutex>& lock);
    Attempt run_batch(std::vector<std::shared_ptr<Item>>& batch);
    // The writer's thread, when nothing is queued, after the first synchronous commit: the
    // WAL grown once to the length it is reused at (sqlite::grow_wal), under the write lock.
    void grow_wal(std::unique_lock<std::mutex>& lock);
    void finish(const std::shared_ptr<Item>& item, claude_jobs::Result<void> result);
    // Outside the lock: the done callbacks of what just finished.
    void after(const std::vector<std::shared_ptr<Item>>& finished);

    sqlite3* db_;
    std::function<void()> onTransition_;
    std::mutex mutex_;
    std::condition_variable wake_;  // the writer's thread: work nobody waits for, or stop
    std::condition_variable done_;  // callers: a batch was written
    bool writing_ = false;          // a batch is being written (by a caller or the thread)
    std::deque<std::shared_ptr<Item>> queue_;
    std::string lastBusy_;  // why the last attempt could not begin, for the busy message
    bool stopping_ = false;
    enum class Wal { Unchecked, Wanted, Done } wal_ = Wal::Unchecked;
    std::thread thread_;
};

}  // namespace cj::jobs
