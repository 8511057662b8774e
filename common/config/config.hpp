// Reading one TOML configuration file so that an operator can trust it to explain mistakes.
//
//   auto doc = config::document::load("/etc/im2k/oms.toml");
//   auto root = doc.root();
//   auto notify = root.subtable("notify");
//   auto listen = notify.endpoint("listen", "0.0.0.0:4650");
//   auto timeout = notify.duration("timeout", 1s, 1h, 30s);
//   doc.throw_if_errors();  // or: for (auto& e : doc.finish()) print(e);
//
// Getters never throw: a missing required key or a wrong value records an error and returns
// the fallback (or an empty value), so that one run reports every mistake at once. Each error
// names the file, the dotted key, what was expected and what was found:
//   /etc/im2k/oms.toml: key "notify.listen": expected an address "IP:PORT", got integer 4650
// A fallback of std::nullopt (the default) makes the key required.
//
// finish() also reports every key that no getter asked for, so a typo never passes silently:
//   /etc/im2k/oms.toml: unknown key "notfy" in table ""; did you mean notify?
// Read the whole configuration before calling finish().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace im2k::config {

// All the errors of one file, for start-up code that wants one exception.
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

enum class port_zero { refused, allowed };  // port 0 (any free port) is for tests only

enum class path_check {
  none,
  exists,              // a file or directory must exist
  file,                // an existing regular file
  directory,           // an existing directory
  writable_directory,  // an existing directory this process may write to
};

struct state;

// A table of the file (the root, a [section] or one element of an [[array]]). Cheap to copy;
// valid while its document lives. A table that is absent from the file is empty: its getters
// return their fallbacks and report required keys as missing under the full dotted name.
class table {
 public:
  // The dotted path: "" for the root, "notify", "peer[0]".
  const std::string& path() const;
  bool present() const;
  bool has(std::string_view key) const;

  std::string string(std::string_view key, std::optional<std::string> fallback = std::nullopt);
  bool boolean(std::string_view key, std::optional<bool> fallback = std::nullopt);
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       std::optional<std::int64_t> fallback = std::nullopt);
  // "IP:PORT" or "[IPv6]:PORT". The fallback uses the same syntax (a bad fallback is a bug and
  // throws std::invalid_argument).
  boost::asio::ip::tcp::endpoint endpoint(std::string_view key,
                                          std::optional<std::string_view> fallback = std::nullopt,
                                          port_zero zero = port_zero::refused);
  // "30s", "5m", "2h", "7d"; a bare integer is refused (its unit would be a guess).
  std::chrono::seconds duration(std::string_view key, std::chrono::seconds min,
                                std::chrono::seconds max,
                                std::optional<std::chrono::seconds> fallback = std::nullopt);
  // An integer number of bytes or a string "64KiB", "10MiB", "1GiB", "512B".
  std::uint64_t size(std::string_view key, std::uint64_t min, std::uint64_t max,
                     std::optional<std::uint64_t> fallback = std::nullopt);
  // A relative path is taken relative to the directory of the configuration file, not to the
  // working directory. The check happens now, at start-up, and applies to the fallback too,
  // except an empty fallback, which means "not set" and is returned as is.
  std::filesystem::path path(std::string_view key, path_check check = path_check::none,
                             std::optional<std::filesystem::path> fallback = std::nullopt);
  std::vector<std::string> string_list(
      std::string_view key, std::optional<std::vector<std::string>> fallback = std::nullopt);
  // One of the allowed strings, returned as written.
  std::string one_of(std::string_view key, std::initializer_list<std::string_view> allowed,
                     std::optional<std::string_view> fallback = std::nullopt);
  // One of the named values of an enum: choice<mode>("crl", {{"require", mode::require}, ...}).
  template <class E>
  E choice(std::string_view key, std::initializer_list<std::pair<std::string_view, E>> choices,
           std::optional<E> fallback = std::nullopt) {
    std::vector<std::string_view> names;
    std::optional<std::size_t> fallback_index;
    for (const auto& [name, value] : choices) {
      if (fallback && value == *fallback) {
        fallback_index = names.size();
      }
      names.push_back(name);
    }
    if (fallback && !fallback_index) {
      throw std::invalid_argument("config: fallback is not among the choices");
    }
    auto index = choice_index(key, names, fallback_index);
    return index ? (choices.begin() + *index)->second
                 : (fallback ? *fallback : choices.begin()->second);
  }

  // A [section]; absent -> an empty table (see above); not a table -> an error and an empty
  // table.
  table subtable(std::string_view key);
  // An [[array]] of tables; absent -> empty.
  std::vector<table> tables(std::string_view key);

 private:
  friend class document;
  table(state* s, std::size_t index) : state_(s), index_(index) {}
  std::optional<std::size_t> choice_index(std::string_view key,
                                          std::span<const std::string_view> names,
                                          std::optional<std::size_t> fallback_index);

  state* state_;
  std::size_t index_;  // into state::tables
};

class document {
 public:
  // Reads and parses the file. Never throws for a missing file or bad TOML: that is the first
  // error, and the getters then stay silent (they would only repeat it).
  static document load(const std::filesystem::path& file);
  // Parses text as if read from a file named source_name (tests, --check-config on stdin).
  static document parse(std::string_view text, std::string source_name);

  document(document&&) noexcept;
  document& operator=(document&&) noexcept;
  ~document();

  table root();

  // Adds the unknown-key errors (once) and returns every error in the order found: syntax,
  // then getters in call order, then unknown keys.
  const std::vector<std::string>& finish();
  bool ok() { return finish().empty(); }
  // finish(), then throws config_error with all errors if there are any.
  void throw_if_errors();

 private:
  explicit document(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace im2k::config
