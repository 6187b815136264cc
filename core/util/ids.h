// Job ids: minted from the OS CSPRNG, or proposed by a client and validated before any use.
#pragma once

#include <string>

namespace cj::util {

// 128 random bits from getrandom(2), as 26 Crockford base32 characters (lower case).
std::string new_job_id();

// SPEC §3.1: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ — safe as one path component and a name.
bool is_valid_job_id(const std::string& id);

}  // namespace cj::util
