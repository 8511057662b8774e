// The IMS's SQLite database: one file in state_dir holding users, notifications, pulls,
// stored bodies and mailbox entries (one database per daemon).
#pragma once

#include <filesystem>

#include "common/store/sqlite_db.hpp"

namespace im2k::ims {

// state_dir/ims.db
std::filesystem::path database_path(const std::filesystem::path& state_dir);
// state_dir/bodies: the stored messages, one file per pull, shared by its recipients.
std::filesystem::path bodies_path(const std::filesystem::path& state_dir);

// Creates state_dir (0700) if needed, opens the database and brings its schema up to date.
// Throws std::runtime_error naming the path on failure (a start-up failure).
store::sqlite_db open_database(const std::filesystem::path& state_dir);

}  // namespace im2k::ims
