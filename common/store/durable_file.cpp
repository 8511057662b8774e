#include "common/store/durable_file.hpp"

#include <cerrno>
#include <cstdio>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/store/fsync_count.hpp"

namespace im2k::store {

namespace {

boost::system::error_code last_errno() {
  return {errno, boost::system::system_category()};
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 200 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

boost::system::error_code fsync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      return last_errno();
    }
  }
  return {};
}

boost::system::error_code fsync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return last_errno();
  }
  count_fsync(fsync_kind::dir);
  auto ec = fsync_fd(fd);
  ::close(fd);
  return ec;
}

boost::system::error_code make_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return last_errno();
  }
  return {};
}

}  // namespace

durable_file::durable_file(int fd, std::filesystem::path dir, std::filesystem::path temp,
                           std::filesystem::path final_path)
    : fd_(fd), dir_(std::move(dir)), temp_(std::move(temp)), final_(std::move(final_path)) {}

boost::system::result<durable_file> durable_file::create(const std::filesystem::path& dir,
                                                         std::string_view name) {
  if (!valid_name(name)) {
    return make_error_code(errc::bad_name);
  }
  std::filesystem::path temp = dir / "tmp" / (std::string(name) + ".tmp");
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return last_errno();
  }
  return durable_file(fd, dir, std::move(temp), dir / std::string(name));
}

durable_file::durable_file(durable_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      dir_(std::move(other.dir_)),
      temp_(std::move(other.temp_)),
      final_(std::move(other.final_)),
      hash_(std::move(other.hash_)),
      size_(other.size_) {}

durable_file& durable_file::operator=(durable_file&& other) noexcept {
  if (this != &other) {
    abort();
    fd_ = std::exchange(other.fd_, -1);
    dir_ = std::move(other.dir_);
    temp_ = std::move(other.temp_);
    final_ = std::move(other.final_);
    hash_ = std::move(other.hash_);
    size_ = other.size_;
  }
  return *this;
}

durable_file::~durable_file() {
  abort();
}

boost::system::error_code durable_file::append(std::string_view bytes) {
  if (fd_ < 0) {
    return make_error_code(errc::already_finished);
  }
  hash_.update(bytes);
  size_ += bytes.size();
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      auto ec = last_errno();
      abort();
      return ec;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

boost::system::result<file_summary> durable_file::finish() {
  if (fd_ < 0) {
    return make_error_code(errc::already_finished);
  }
  count_fsync(fsync_kind::body);
  if (auto ec = fsync_fd(fd_)) {
    abort();
    return ec;
  }
  if (::close(std::exchange(fd_, -1)) != 0) {
    auto ec = last_errno();
    ::unlink(temp_.c_str());
    return ec;
  }
  if (::rename(temp_.c_str(), final_.c_str()) != 0) {
    auto ec = last_errno();
    ::unlink(temp_.c_str());
    return ec;
  }
  // The file is in place; only its directory entry may not be on disk yet. On failure it stays
  // (a later store of the same name replaces it).
  if (auto ec = fsync_directory(dir_)) {
    return ec;
  }
  return file_summary{final_, size_, hash_.finish()};
}

void durable_file::abort() {
  if (fd_ >= 0) {
    ::close(std::exchange(fd_, -1));
    ::unlink(temp_.c_str());
  }
}

boost::system::result<std::size_t> prepare_directory(const std::filesystem::path& dir) {
  if (auto ec = make_dir(dir)) {
    return ec;
  }
  std::filesystem::path tmp = dir / "tmp";
  if (auto ec = make_dir(tmp)) {
    return ec;
  }
  std::size_t removed = 0;
  std::error_code iter_ec;
  for (std::filesystem::directory_iterator it(tmp, iter_ec), end; !iter_ec && it != end;
       it.increment(iter_ec)) {
    const auto& path = it->path();
    if (path.extension() == ".tmp" && it->is_regular_file(iter_ec)) {
      if (::unlink(path.c_str()) != 0) {
        return last_errno();
      }
      ++removed;
    }
  }
  if (iter_ec) {
    return boost::system::error_code(iter_ec.value(), boost::system::system_category());
  }
  if (removed > 0) {
    if (auto ec = fsync_directory(tmp)) {
      return ec;
    }
  }
  return removed;
}

boost::system::error_code remove_durably(const std::filesystem::path& file) {
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return last_errno();
  }
  std::filesystem::path parent = file.parent_path();
  return fsync_directory(parent.empty() ? std::filesystem::path(".") : parent);
}

}  // namespace im2k::store
