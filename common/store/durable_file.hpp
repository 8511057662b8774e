// Message bodies written so that a crash leaves either the whole file or nothing:
//   DIR/tmp/<name>.tmp (O_EXCL, 0600) <- append()* ; finish(): fsync, rename to DIR/<name>,
//   fsync DIR.
// The SHA-256 digest and the size are computed while the data streams through.
//
// append() is an ordinary write(2) into the page cache; finish() and remove_durably() wait for
// the disk (fsync), so call them on commit_queue's writer thread (inside a work item), never on
// an event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "common/crypto/sha256.hpp"
#include "common/store/error.hpp"

namespace im2k::store {

struct file_summary {
  std::filesystem::path path;  // DIR/<name>
  std::uint64_t size = 0;
  crypto::sha256_digest sha256{};

  std::string sha256_hex() const { return crypto::to_hex(sha256); }
};

class durable_file {
 public:
  // Creates DIR/tmp/<name>.tmp; DIR/tmp must exist (prepare_directory makes it). Fails with
  // errc::bad_name for an empty name or one with '/', NUL, "." or "..", and with the system
  // error (file_exists, ...) otherwise. The final file DIR/<name> replaces any file of that
  // name when finished, so a store repeated after a crash is idempotent.
  [[nodiscard]] static boost::system::result<durable_file> create(const std::filesystem::path& dir,
                                                                  std::string_view name);

  durable_file(durable_file&& other) noexcept;
  durable_file& operator=(durable_file&& other) noexcept;
  durable_file(const durable_file&) = delete;
  durable_file& operator=(const durable_file&) = delete;
  // Aborts unless finished.
  ~durable_file();

  [[nodiscard]] boost::system::error_code append(std::string_view bytes);
  // fsync the file, rename it into place, fsync DIR. After a failure the temporary file is
  // removed; either way the object is done.
  [[nodiscard]] boost::system::result<file_summary> finish();
  // Closes and removes the temporary file. Safe to call more than once.
  void abort();

  std::uint64_t size() const { return size_; }
  bool active() const { return fd_ >= 0; }

 private:
  durable_file(int fd, std::filesystem::path dir, std::filesystem::path temp,
               std::filesystem::path final_path);

  int fd_ = -1;
  std::filesystem::path dir_;
  std::filesystem::path temp_;
  std::filesystem::path final_;
  crypto::sha256 hash_;
  std::uint64_t size_ = 0;
};

// Creates DIR and DIR/tmp (0700) if missing and removes every stale DIR/tmp/*.tmp, left by a
// crash mid-write. Call once at start, before any durable_file of DIR exists. Returns the number
// of stale files removed.
[[nodiscard]] boost::system::result<std::size_t> prepare_directory(
    const std::filesystem::path& dir);

// Unlinks the file and fsyncs its directory, so the removal survives a crash. A file that does
// not exist is success (removal is idempotent).
[[nodiscard]] boost::system::error_code remove_durably(const std::filesystem::path& file);

// Group commit for directory entries. While one is open on a thread, finish() and
// remove_durably() on that thread record their directory instead of fsyncing it, and flush()
// fsyncs each recorded directory once: a batch of N new bodies in one directory costs one
// directory fsync, not N. commit_queue opens one around each batch and flushes it before the
// COMMIT, so a file's name is on disk before any row that refers to it, as without the batch.
// Nested batches are not supported (the inner one would be the only one seen).
class directory_sync_batch {
 public:
  directory_sync_batch();
  ~directory_sync_batch();
  directory_sync_batch(const directory_sync_batch&) = delete;
  directory_sync_batch& operator=(const directory_sync_batch&) = delete;

  // fsyncs every recorded directory (each once), then forgets them. The first failure is
  // returned after all were tried.
  [[nodiscard]] boost::system::error_code flush();

  // The open batch of this thread, or nullptr.
  static directory_sync_batch* current();
  void record(const std::filesystem::path& dir);

 private:
  std::vector<std::filesystem::path> dirs_;
  directory_sync_batch* previous_;
};

}  // namespace im2k::store
