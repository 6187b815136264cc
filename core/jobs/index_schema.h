// The job index's schema: its tables, and the numbered migrations that bring an index of any
// earlier version up to this one. A feature that needs new columns or tables appends a
// migration in index_schema.cpp; nothing else creates or alters tables.
#pragma once

#include <sqlite3.h>

#include "claude_jobs/result.h"

namespace cj::jobs {

// Journal mode, sync level, and the schema brought to the newest version, in one write
// transaction; idempotent. Unavailable (not retryable) for an index written by a newer
// claude-jobs; a busy index is retryable.
claude_jobs::Result<void> prepare_schema(sqlite3* db);

}  // namespace cj::jobs
