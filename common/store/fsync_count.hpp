// The fsyncs the store asks for, by kind, exported as im2k_store_fsyncs_total{kind="body"|"dir"|
// "sqlite"} in the global metrics registry: a benchmark divides them by the messages it sent.
//   body   a message body file (durable_file::finish)
//   dir    a directory, after a rename or an unlink (durable_file, remove_durably)
//   sqlite SQLite's own syncs of its database and WAL files (counting_vfs)
#pragma once

namespace im2k::store {

enum class fsync_kind { body, dir, sqlite };

// One fsync (a relaxed atomic add). The first call creates all three series.
void count_fsync(fsync_kind kind) noexcept;

// Creates the three series (at 0) so that a scrape shows them before the first fsync.
void expose_fsync_counts();

}  // namespace im2k::store
