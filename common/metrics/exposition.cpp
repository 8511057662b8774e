#include "common/metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace im2k::metrics {

namespace {

void append_labels(std::string& out, const labels& l, const std::string* le) {
  if (l.empty() && le == nullptr) {
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [name, value] : l) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) {
      out += ',';
    }
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const labels& l, const std::string* le, double value) {
  out += name;
  out += suffix;
  append_labels(out, l, le);
  out += ' ';
  out += format_value(value);
  out += '\n';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

std::string render(const std::vector<family_snapshot>& families) {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += escape_help(f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += to_string(f.type);
    out += '\n';
    for (const auto& s : f.series) {
      if (f.type != metric_type::histogram) {
        append_sample(out, f.name, "", s.labels, nullptr, s.value);
        continue;
      }
      for (std::size_t i = 0; i < s.buckets.size(); ++i) {
        const std::string le = i < f.bounds.size() ? format_value(f.bounds[i]) : "+Inf";
        append_sample(out, f.name, "_bucket", s.labels, &le, static_cast<double>(s.buckets[i]));
      }
      append_sample(out, f.name, "_sum", s.labels, nullptr, s.sum);
      const double count = s.buckets.empty() ? 0 : static_cast<double>(s.buckets.back());
      append_sample(out, f.name, "_count", s.labels, nullptr, count);
    }
  }
  return out;
}

std::string render(const registry& r) {
  return render(r.collect());
}

}  // namespace im2k::metrics
