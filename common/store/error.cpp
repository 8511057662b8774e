#include "common/store/error.hpp"

#include <string>

#include <sqlite3.h>

namespace im2k::store {

namespace {

class sqlite_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int code) const override { return sqlite3_errstr(code); }
};

class store_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "im2k.store"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::queue_full:
        return "commit queue full";
      case errc::stopped:
        return "commit queue stopped";
      case errc::item_threw:
        return "commit item threw an exception";
      case errc::newer_schema:
        return "database schema is newer than this program";
      case errc::bad_name:
        return "invalid file name";
      case errc::already_finished:
        return "durable file already finished or aborted";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& sqlite_category() noexcept {
  static const sqlite_category_impl instance;
  return instance;
}

boost::system::error_code make_sqlite_error(int code) noexcept {
  return {code, sqlite_category()};
}

const boost::system::error_category& store_category() noexcept {
  static const store_category_impl instance;
  return instance;
}

boost::system::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), store_category()};
}

}  // namespace im2k::store
