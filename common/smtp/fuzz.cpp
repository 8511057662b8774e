#include "common/smtp/fuzz.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/smtp/client.hpp"
#include "common/smtp/command.hpp"
#include "common/smtp/data_reader.hpp"
#include "common/smtp/line_buffer.hpp"
#include "common/smtp/reply.hpp"
#include "common/smtp/sasl.hpp"

namespace im2k::smtp {

namespace {

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// Chunk sizes from the data itself, so that the fuzzer explores the splits too.
std::size_t chunk_size(std::string_view data, std::size_t i) {
  if (data.empty()) {
    return 1;
  }
  return 1 + static_cast<unsigned char>(data[i % data.size()]) % 97;
}

void lines(std::string_view data) {
  constexpr std::size_t limit = 64;
  line_buffer in(limit);
  std::size_t offset = 0;
  std::size_t step = 0;
  reply_parser replies;
  while (offset < data.size()) {
    const std::size_t n = std::min(chunk_size(data, step++), data.size() - offset);
    auto space = in.prepare();
    check(space.size() >= n);
    std::memcpy(space.data(), data.data() + offset, n);
    in.commit(n);
    offset += n;
    while (true) {
      auto l = in.next();
      if (l.what == line_result::kind::need_more) {
        break;
      }
      if (l.what == line_result::kind::line) {
        check(l.text.size() + 2 <= limit);
        (void)parse_command(l.text);
        (void)replies.feed(l.text);
        (void)decode_response(l.text);
      }
    }
    check(in.pending().size() <= limit + read_chunk);
  }
}

void data_round_trip(std::string_view data) {
  std::string stuffed;
  dot_stuffer stuffer;
  for (std::size_t i = 0, step = 0; i < data.size(); ++step) {
    const std::size_t n = std::min(chunk_size(data, step), data.size() - i);
    stuffer.feed(data.substr(i, n), stuffed);
    i += n;
  }
  stuffer.finish(stuffed);
  data_reader reader;
  std::string out;
  std::size_t i = 0;
  for (std::size_t step = 3; i < stuffed.size() && !reader.done(); ++step) {
    const std::size_t n = std::min(chunk_size(data, step), stuffed.size() - i);
    const std::size_t before = out.size();
    auto r = reader.feed(std::string_view(stuffed).substr(i, n), out);
    check(r.consumed <= n);
    check(out.size() - before <= r.consumed);
    i += r.consumed;
    if (r.done) {
      break;
    }
  }
  check(reader.done());
  check(i == stuffed.size());
  // The stuffer adds a CRLF before the dot when the text did not end in one.
  const bool ends_in_crlf =
      data.empty() || (data.size() >= 2 && data.substr(data.size() - 2) == "\r\n");
  check(ends_in_crlf ? out == data : out == std::string(data) + "\r\n");
}

void raw_data(std::string_view data) {
  data_reader reader;
  std::string out;
  auto r = reader.feed(data, out);
  check(r.consumed <= data.size());
  check(out.size() <= r.consumed);
}

void reply_round_trip(std::string_view data) {
  reply r;
  r.code = 200 + static_cast<int>(data.empty() ? 0 : static_cast<unsigned char>(data[0]) % 100) * 4;
  r.code = std::min(r.code, 599);
  std::size_t at = 1;
  while (at < data.size() && r.lines.size() < 5) {
    const std::size_t n = std::min<std::size_t>(chunk_size(data, at) * 3, data.size() - at);
    r.lines.emplace_back(data.substr(at, n));
    at += n;
  }
  const std::string text = format(r);
  reply_parser parser;
  std::size_t start = 0;
  std::optional<reply> back;
  while (start < text.size()) {
    const auto end = text.find("\r\n", start);
    check(end != std::string::npos);
    auto fed = parser.feed(std::string_view(text).substr(start, end - start));
    check(fed.has_value());
    start = end + 2;
    if (*fed) {
      back = std::move(**fed);
    }
  }
  check(back.has_value());
  check(back->code == r.code);
  check(back->lines.size() == std::max<std::size_t>(r.lines.size(), 1));
  (void)parse_extensions(*back);
}

}  // namespace

void fuzz_one(std::string_view data) {
  lines(data);
  data_round_trip(data);
  raw_data(data);
  reply_round_trip(data);
  (void)parse_plain(data);
  (void)parse_command(data);
}

}  // namespace im2k::smtp
