#include "common/config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>
#include <unistd.h>

#include "common/config/parse.hpp"

namespace im2k::config {

namespace {

constexpr std::uintmax_t max_file_size = 1 << 20;

struct table_entry {
  std::string path;
  const toml::table* node = nullptr;  // null: absent from the file
  std::set<std::string, std::less<>> asked;
};

// What a getter expected, and optionally why the value found does not fit.
struct problem {
  std::string expected;
  std::string detail;
};

// A string as it would appear in the file, on one line whatever it contains.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 200)) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char digits[] = "0123456789abcdef";
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 15];
    } else {
      out += c;
    }
  }
  if (text.size() > 200) {
    out += "...";
  }
  return out + "\"";
}

std::string describe(const toml::node& node) {
  if (auto* s = node.as_string())
    return "string " + quote(s->get());
  if (auto* i = node.as_integer())
    return "integer " + std::to_string(i->get());
  if (auto* f = node.as_floating_point()) {
    std::ostringstream out;
    out << "float " << f->get();
    return out.str();
  }
  if (auto* b = node.as_boolean())
    return std::string("boolean ") + (b->get() ? "true" : "false");
  if (node.is_table())
    return "a table";
  if (node.is_array())
    return "an array";
  return "a date/time";
}

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
// neighbours ("prot" -> "port" is one edit).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string join_quoted(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += i + 1 == names.size() ? " or " : ", ";
    out += quote(names[i]);
  }
  return out;
}

}  // namespace

struct state {
  std::string file;
  std::filesystem::path base_dir;
  toml::table root;
  bool broken = false;  // unreadable or bad TOML: getters stay silent
  bool finished = false;
  std::vector<std::string> errors;
  std::vector<table_entry> tables;  // index 0 is the root
  std::map<std::string, std::size_t, std::less<>> by_path;

  std::size_t open(std::string path, const toml::table* node) {
    if (auto it = by_path.find(path); it != by_path.end()) {
      return it->second;
    }
    tables.push_back(table_entry{path, node, {}});
    by_path.emplace(std::move(path), tables.size() - 1);
    return tables.size() - 1;
  }

  std::string key_path(std::size_t index, std::string_view key) const {
    const auto& path = tables[index].path;
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  const toml::node* lookup(std::size_t index, std::string_view key) {
    auto& entry = tables[index];
    entry.asked.emplace(key);
    return entry.node ? entry.node->get(key) : nullptr;
  }

  // got_text, when given, replaces the description of the value found.
  void report(std::size_t index, std::string_view key, const problem& p, const toml::node* got,
              std::string_view got_text = {}) {
    if (broken) {
      return;
    }
    std::string message =
        file + ": key \"" + key_path(index, key) + "\": expected " + p.expected + ", got ";
    if (!got_text.empty()) {
      message += got_text;
    } else {
      message += got ? describe(*got) : "nothing (the key is required)";
    }
    if (!p.detail.empty()) {
      message += " (" + p.detail + ")";
    }
    errors.push_back(std::move(message));
  }

  // The common shape of every getter: absent -> fallback or "required"; present -> parse or
  // report and fall back.
  template <class T, class Parse>
  T get(std::size_t index, std::string_view key, const std::optional<T>& fallback,
        std::string expected, Parse parse) {
    const toml::node* node = lookup(index, key);
    problem p{std::move(expected), {}};
    if (node == nullptr) {
      if (fallback) {
        return *fallback;
      }
      report(index, key, p, nullptr);
      return T{};
    }
    if (std::optional<T> value = parse(*node, p)) {
      return *std::move(value);
    }
    report(index, key, p, node);
    return fallback ? *fallback : T{};
  }
};

config_error::config_error(std::vector<std::string> errors)
    : std::runtime_error(errors.empty()
                             ? std::string("configuration error")
                             : errors.front() +
                                   (errors.size() > 1
                                        ? " (and " + std::to_string(errors.size() - 1) + " more)"
                                        : "")),
      errors_(std::move(errors)) {}

const std::string& table::path() const {
  return state_->tables[index_].path;
}

bool table::present() const {
  return state_->tables[index_].node != nullptr;
}

bool table::has(std::string_view key) const {
  return state_->lookup(index_, key) != nullptr;
}

std::string table::string(std::string_view key, std::optional<std::string> fallback) {
  return state_->get<std::string>(
      index_, key, fallback, "a string",
      [](const toml::node& node, problem&) { return node.value_exact<std::string>(); });
}

bool table::boolean(std::string_view key, std::optional<bool> fallback) {
  return state_->get<bool>(
      index_, key, fallback, "true or false",
      [](const toml::node& node, problem&) { return node.value_exact<bool>(); });
}

std::int64_t table::integer(std::string_view key, std::int64_t min, std::int64_t max,
                            std::optional<std::int64_t> fallback) {
  return state_->get<std::int64_t>(
      index_, key, fallback,
      "an integer from " + std::to_string(min) + " to " + std::to_string(max),
      [&](const toml::node& node, problem&) -> std::optional<std::int64_t> {
        auto value = node.value_exact<std::int64_t>();
        if (!value || *value < min || *value > max) {
          return std::nullopt;
        }
        return value;
      });
}

boost::asio::ip::tcp::endpoint table::endpoint(std::string_view key,
                                               std::optional<std::string_view> fallback,
                                               port_zero zero) {
  bool allow_zero = zero == port_zero::allowed;
  std::optional<boost::asio::ip::tcp::endpoint> fallback_endpoint;
  if (fallback) {
    fallback_endpoint = parse_endpoint(*fallback, allow_zero);
    if (!fallback_endpoint) {
      throw std::invalid_argument("config: bad endpoint fallback " + std::string(*fallback));
    }
  }
  return state_->get<boost::asio::ip::tcp::endpoint>(
      index_, key, fallback_endpoint, "an address \"IP:PORT\"",
      [&](const toml::node& node, problem& p) -> std::optional<boost::asio::ip::tcp::endpoint> {
        auto text = node.value_exact<std::string>();
        if (!text) {
          return std::nullopt;
        }
        auto result = parse_endpoint(*text, allow_zero);
        if (!result && !allow_zero && parse_endpoint(*text, true)) {
          p.detail = "port 0 is not allowed here";
        }
        return result;
      });
}

std::chrono::seconds table::duration(std::string_view key, std::chrono::seconds min,
                                     std::chrono::seconds max,
                                     std::optional<std::chrono::seconds> fallback) {
  return state_->get<std::chrono::seconds>(
      index_, key, fallback, "a duration such as \"30s\", \"5m\", \"2h\" or \"7d\"",
      [&](const toml::node& node, problem& p) -> std::optional<std::chrono::seconds> {
        auto text = node.value_exact<std::string>();
        if (!text) {
          if (node.is_integer()) {
            p.detail = "a bare number has no unit";
          }
          return std::nullopt;
        }
        auto value = parse_duration(*text);
        if (value && (*value < min || *value > max)) {
          p.expected = "a duration from " + format_duration(min) + " to " + format_duration(max);
          return std::nullopt;
        }
        return value;
      });
}

std::uint64_t table::size(std::string_view key, std::uint64_t min, std::uint64_t max,
                          std::optional<std::uint64_t> fallback) {
  return state_->get<std::uint64_t>(
      index_, key, fallback, "a size such as 65536, \"64KiB\" or \"10MiB\"",
      [&](const toml::node& node, problem& p) -> std::optional<std::uint64_t> {
        std::optional<std::uint64_t> value;
        if (auto number = node.value_exact<std::int64_t>(); number && *number >= 0) {
          value = static_cast<std::uint64_t>(*number);
        } else if (auto text = node.value_exact<std::string>()) {
          value = parse_size(*text);
        }
        if (value && (*value < min || *value > max)) {
          p.expected = "a size from " + format_size(min) + " to " + format_size(max);
          return std::nullopt;
        }
        return value;
      });
}

std::filesystem::path table::path(std::string_view key, path_check check,
                                  std::optional<std::filesystem::path> fallback) {
  std::string expected = "a path";
  switch (check) {
    case path_check::none:
      break;
    case path_check::exists:
      expected = "the path of an existing file or directory";
      break;
    case path_check::file:
      expected = "the path of an existing file";
      break;
    case path_check::directory:
      expected = "the path of an existing directory";
      break;
    case path_check::writable_directory:
      expected = "the path of a writable directory";
      break;
  }
  // A fallback goes through the same checks: a default directory that is missing is a mistake
  // of this installation, worth reporting under the key's name.
  auto checked = [&](const std::filesystem::path& raw,
                     problem& p) -> std::optional<std::filesystem::path> {
    if (raw.empty()) {
      return std::nullopt;
    }
    std::filesystem::path full = raw.is_absolute() ? raw : (state_->base_dir / raw);
    full = full.lexically_normal();
    if (check == path_check::none) {
      return full;
    }
    std::error_code ec;
    auto status = std::filesystem::status(full, ec);
    if (ec || !std::filesystem::exists(status)) {
      p.detail = full.string() + ": " + (ec ? ec.message() : "does not exist");
      return std::nullopt;
    }
    if (check == path_check::file && !std::filesystem::is_regular_file(status)) {
      p.detail = full.string() + ": not a regular file";
      return std::nullopt;
    }
    if ((check == path_check::directory || check == path_check::writable_directory) &&
        !std::filesystem::is_directory(status)) {
      p.detail = full.string() + ": not a directory";
      return std::nullopt;
    }
    if (check == path_check::writable_directory && ::access(full.c_str(), W_OK | X_OK) != 0) {
      p.detail = full.string() + ": " + std::strerror(errno);
      return std::nullopt;
    }
    return full;
  };
  const toml::node* node = state_->lookup(index_, key);
  if (node == nullptr && fallback && fallback->empty()) {
    return *fallback;  // an empty fallback means "not set": nothing to check
  }
  if (node == nullptr && fallback) {
    problem p{expected, {}};
    auto value = checked(*fallback, p);
    if (!value) {
      state_->report(index_, key, p, nullptr, "the default " + quote(fallback->string()));
      return *fallback;
    }
    return *value;
  }
  return state_->get<std::filesystem::path>(
      index_, key, std::optional<std::filesystem::path>(), expected,
      [&](const toml::node& n, problem& p) -> std::optional<std::filesystem::path> {
        auto text = n.value_exact<std::string>();
        if (!text) {
          return std::nullopt;
        }
        return checked(std::filesystem::path(*text), p);
      });
}

std::vector<std::string> table::string_list(std::string_view key,
                                            std::optional<std::vector<std::string>> fallback) {
  return state_->get<std::vector<std::string>>(
      index_, key, fallback, "an array of strings",
      [](const toml::node& node, problem&) -> std::optional<std::vector<std::string>> {
        auto* array = node.as_array();
        if (array == nullptr) {
          return std::nullopt;
        }
        std::vector<std::string> out;
        for (const auto& element : *array) {
          auto text = element.value_exact<std::string>();
          if (!text) {
            return std::nullopt;
          }
          out.push_back(*std::move(text));
        }
        return out;
      });
}

std::optional<std::size_t> table::choice_index(std::string_view key,
                                               std::span<const std::string_view> names,
                                               std::optional<std::size_t> fallback_index) {
  const toml::node* node = state_->lookup(index_, key);
  problem p{"one of " + join_quoted(names), {}};
  if (node == nullptr) {
    if (!fallback_index) {
      state_->report(index_, key, p, nullptr);
    }
    return fallback_index;
  }
  if (auto text = node->value_exact<std::string>()) {
    auto it = std::find(names.begin(), names.end(), *text);
    if (it != names.end()) {
      return static_cast<std::size_t>(it - names.begin());
    }
  }
  state_->report(index_, key, p, node);
  return fallback_index;
}

std::string table::one_of(std::string_view key, std::initializer_list<std::string_view> allowed,
                          std::optional<std::string_view> fallback) {
  std::vector<std::string_view> names(allowed);
  std::optional<std::size_t> fallback_index;
  if (fallback) {
    auto it = std::find(names.begin(), names.end(), *fallback);
    if (it == names.end()) {
      throw std::invalid_argument("config: fallback is not among the allowed values");
    }
    fallback_index = static_cast<std::size_t>(it - names.begin());
  }
  auto index = choice_index(key, names, fallback_index);
  return index ? std::string(names[*index]) : std::string();
}

table table::subtable(std::string_view key) {
  std::string path = state_->key_path(index_, key);
  const toml::node* node = state_->lookup(index_, key);
  const toml::table* sub = nullptr;
  if (node != nullptr) {
    sub = node->as_table();
    if (sub == nullptr) {
      state_->report(index_, key, problem{"a table", {}}, node);
    }
  }
  return table(state_, state_->open(std::move(path), sub));
}

std::vector<table> table::tables(std::string_view key) {
  std::string path = state_->key_path(index_, key);
  const toml::node* node = state_->lookup(index_, key);
  std::vector<table> out;
  if (node == nullptr) {
    return out;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    state_->report(index_, key, problem{"an array of tables ([[" + path + "]])", {}}, node);
    return out;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    out.push_back(table(
        state_, state_->open(path + "[" + std::to_string(i) + "]", array->get(i)->as_table())));
  }
  return out;
}

document::document(std::unique_ptr<state> s) : state_(std::move(s)) {
  state_->open("", &state_->root);
}

document::document(document&&) noexcept = default;
document& document::operator=(document&&) noexcept = default;
document::~document() = default;

document document::parse(std::string_view text, std::string source_name) {
  auto s = std::make_unique<state>();
  s->file = std::move(source_name);
  s->base_dir = std::filesystem::path(s->file).parent_path();
  try {
    s->root = toml::parse(text, s->file);
  } catch (const toml::parse_error& e) {
    s->errors.push_back(s->file + ":" + std::to_string(e.source().begin.line) + ":" +
                        std::to_string(e.source().begin.column) + ": " +
                        std::string(e.description()));
    s->broken = true;
  }
  return document(std::move(s));
}

document document::load(const std::filesystem::path& file) {
  auto fail = [&](const std::string& why) {
    auto s = std::make_unique<state>();
    s->file = file.string();
    s->errors.push_back(s->file + ": cannot read: " + why);
    s->broken = true;
    return document(std::move(s));
  };
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    return fail(ec.message());
  }
  if (size > max_file_size) {
    return fail("larger than " + format_size(max_file_size));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(std::strerror(errno));
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return parse(text, file.string());
}

table document::root() {
  return table(state_.get(), 0);
}

const std::vector<std::string>& document::finish() {
  if (state_->finished || state_->broken) {
    return state_->errors;
  }
  state_->finished = true;
  for (const auto& entry : state_->tables) {
    if (entry.node == nullptr) {
      continue;
    }
    for (const auto& [key, value] : *entry.node) {
      std::string_view name = key.str();
      if (entry.asked.contains(name)) {
        continue;
      }
      std::string message =
          state_->file + ": unknown key " + quote(name) + " in table " + quote(entry.path);
      // Suggest only close spellings: at most two edits, and fewer than half the name's length
      // (so "b" is not "corrected" to "a").
      std::string_view best;
      std::size_t best_distance = 3;
      for (const auto& known : entry.asked) {
        std::size_t d = edit_distance(name, known);
        if (d < best_distance && 2 * d < name.size()) {
          best_distance = d;
          best = known;
        }
      }
      if (!best.empty()) {
        message += "; did you mean " + std::string(best) + "?";
      }
      state_->errors.push_back(std::move(message));
    }
  }
  return state_->errors;
}

void document::throw_if_errors() {
  if (!finish().empty()) {
    throw config_error(state_->errors);
  }
}

}  // namespace im2k::config
