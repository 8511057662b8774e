// The raw-answer reader on crafted, truncated and corrupted messages. Messages are placed at
// the very end of a page followed by an inaccessible page, so a read past the end crashes the
// test instead of passing silently.
#include "common/dns/wire.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace im2k::dns::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

// A copy of `data` that ends exactly where an unmapped page begins.
class guarded {
 public:
  explicit guarded(const bytes& data) {
    page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (data.size() > page_) {
      throw std::runtime_error("message larger than a page");
    }
    void* mem =
        ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      throw std::runtime_error("mmap failed");
    }
    base_ = static_cast<std::uint8_t*>(mem);
    ::mprotect(base_ + page_, page_, PROT_NONE);
    start_ = base_ + page_ - data.size();
    std::memcpy(start_, data.data(), data.size());
    size_ = data.size();
  }
  ~guarded() { ::munmap(base_, 2 * page_); }
  guarded(const guarded&) = delete;
  guarded& operator=(const guarded&) = delete;

  std::span<const std::uint8_t> span() const { return {start_, size_}; }

 private:
  std::size_t page_ = 0;
  std::uint8_t* base_ = nullptr;
  std::uint8_t* start_ = nullptr;
  std::size_t size_ = 0;
};

answer parse(const bytes& message, std::string_view qname, std::uint16_t qtype) {
  guarded g(message);
  return parse_answer(g.span(), qname, qtype);
}

void put16(bytes& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xffff);
}
void put_name(bytes& b, std::string_view name) {
  while (!name.empty()) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    b.push_back(static_cast<std::uint8_t>(label.size()));
    b.insert(b.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  b.push_back(0);
}
void put_pointer(bytes& b, unsigned offset) {
  put16(b, 0xc000 | offset);
}

// Builds a response: header, the question, then records appended by the caller.
struct message {
  bytes b;
  message(std::string_view qname, std::uint16_t qtype, int rcode, unsigned an, unsigned ns,
          unsigned ar = 0) {
    put16(b, 0x1234);
    put16(b, 0x8180 | rcode);
    put16(b, 1);
    put16(b, an);
    put16(b, ns);
    put16(b, ar);
    put_name(b, qname);
    put16(b, qtype);
    put16(b, 1);
  }
  // An RR whose owner is the question name (compressed) and whose RDATA is `rdata`.
  void rr(std::uint16_t type, std::uint32_t ttl, const bytes& rdata, bool owner_is_qname = true,
          std::string_view owner = {}) {
    if (owner_is_qname) {
      put_pointer(b, 12);
    } else {
      put_name(b, owner);
    }
    put16(b, type);
    put16(b, 1);
    put32(b, ttl);
    put16(b, static_cast<unsigned>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
  }
};

bytes name_bytes(std::string_view name) {
  bytes b;
  put_name(b, name);
  return b;
}

bytes soa_rdata(std::uint32_t minimum) {
  bytes r = name_bytes("ns.example.com");
  const bytes rname = name_bytes("hostmaster.example.com");
  r.insert(r.end(), rname.begin(), rname.end());
  for (std::uint32_t v : {1u, 3600u, 600u, 86400u}) {
    put32(r, v);
  }
  put32(r, minimum);
  return r;
}

TEST(wire, a_records_and_smallest_ttl) {
  message m("example.com", type_a, 0, 2, 0);
  m.rr(type_a, 300, {192, 0, 2, 1});
  m.rr(type_a, 100, {192, 0, 2, 2});
  const auto a = parse(m.b, "example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_EQ(a.rcode, 0);
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(a.records[0].data, std::string("\xc0\x00\x02\x01", 4));
  EXPECT_EQ(a.records[1].data, std::string("\xc0\x00\x02\x02", 4));
  EXPECT_EQ(a.ttl, 100u);
  EXPECT_FALSE(a.negative_ttl);
}

TEST(wire, names_compare_case_insensitively) {
  message m("Example.COM", type_a, 0, 1, 0);
  m.rr(type_a, 60, {192, 0, 2, 1});
  const auto a = parse(m.b, "example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_EQ(a.records.size(), 1u);
}

TEST(wire, mx_with_compressed_target) {
  message m("example.com", type_mx, 0, 2, 0);
  bytes mx1;
  put16(mx1, 20);
  mx1.push_back(3);
  mx1.insert(mx1.end(), {'M', 'X', '2'});
  put_pointer(mx1, 12);  // -> example.com in the question
  m.rr(type_mx, 3600, mx1);
  bytes mx2;
  put16(mx2, 10);
  const bytes target = name_bytes("mx1.example.net");
  mx2.insert(mx2.end(), target.begin(), target.end());
  m.rr(type_mx, 1800, mx2);
  const auto a = parse(m.b, "example.com", type_mx);
  ASSERT_TRUE(a.well_formed) << a.error;
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(a.records[0].preference, 20);
  EXPECT_EQ(a.records[0].data, "mx2.example.com");
  EXPECT_EQ(a.records[1].preference, 10);
  EXPECT_EQ(a.records[1].data, "mx1.example.net");
  EXPECT_EQ(a.ttl, 1800u);
}

TEST(wire, null_mx_target_is_the_root) {
  message m("example.com", type_mx, 0, 1, 0);
  m.rr(type_mx, 300, {0, 0, 0});
  const auto a = parse(m.b, "example.com", type_mx);
  ASSERT_TRUE(a.well_formed) << a.error;
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].preference, 0);
  EXPECT_EQ(a.records[0].data, "");
}

TEST(wire, txt_strings_are_joined_per_record) {
  message m("example.com", type_txt, 0, 2, 0);
  m.rr(type_txt, 300, {7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l'});
  m.rr(type_txt, 300, {0, 3, 'a', 'b', 'c'});
  const auto a = parse(m.b, "example.com", type_txt);
  ASSERT_TRUE(a.well_formed) << a.error;
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(a.records[0].data, "v=spf1 -all");
  EXPECT_EQ(a.records[1].data, "abc");
}

TEST(wire, ptr_record) {
  message m("1.2.0.192.in-addr.arpa", type_ptr, 0, 1, 0);
  m.rr(type_ptr, 300, name_bytes("Host.Example.com"));
  const auto a = parse(m.b, "1.2.0.192.in-addr.arpa", type_ptr);
  ASSERT_TRUE(a.well_formed) << a.error;
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].data, "host.example.com");
}

TEST(wire, cname_chain_is_followed_and_its_ttl_counts) {
  message m("www.example.com", type_a, 0, 3, 0);
  m.rr(type_cname, 50, name_bytes("web.example.com"));
  m.rr(type_cname, 500, name_bytes("host.example.net"), false, "web.example.com");
  m.rr(type_a, 300, {192, 0, 2, 7}, false, "host.example.net");
  const auto a = parse(m.b, "www.example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].data, std::string("\xc0\x00\x02\x07", 4));
  EXPECT_EQ(a.ttl, 50u);
}

TEST(wire, records_of_other_owners_do_not_count) {
  message m("www.example.com", type_a, 0, 1, 0);
  m.rr(type_a, 300, {192, 0, 2, 7}, false, "evil.example.org");
  const auto a = parse(m.b, "www.example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_TRUE(a.records.empty());
}

TEST(wire, cname_loop_ends_without_records) {
  message m("a.example.com", type_a, 0, 2, 0);
  m.rr(type_cname, 50, name_bytes("b.example.com"));
  m.rr(type_cname, 50, name_bytes("a.example.com"), false, "b.example.com");
  const auto a = parse(m.b, "a.example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_TRUE(a.records.empty());
}

TEST(wire, nxdomain_negative_ttl_is_min_of_soa_ttl_and_minimum) {
  message m("nope.example.com", type_a, 3, 0, 1);
  m.rr(type_soa, 900, soa_rdata(60), false, "example.com");
  const auto a = parse(m.b, "nope.example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_EQ(a.rcode, 3);
  ASSERT_TRUE(a.negative_ttl);
  EXPECT_EQ(*a.negative_ttl, 60u);

  message n("nope.example.com", type_a, 3, 0, 1);
  n.rr(type_soa, 30, soa_rdata(600), false, "example.com");
  const auto b = parse(n.b, "nope.example.com", type_a);
  ASSERT_TRUE(b.negative_ttl);
  EXPECT_EQ(*b.negative_ttl, 30u);
}

TEST(wire, nodata_without_soa_has_no_negative_ttl) {
  message m("example.com", type_aaaa, 0, 0, 0);
  const auto a = parse(m.b, "example.com", type_aaaa);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_TRUE(a.records.empty());
  EXPECT_FALSE(a.negative_ttl);
}

TEST(wire, ttl_with_top_bit_counts_as_zero) {
  message m("example.com", type_a, 0, 1, 0);
  m.rr(type_a, 0x80000000u, {192, 0, 2, 1});
  const auto a = parse(m.b, "example.com", type_a);
  ASSERT_TRUE(a.well_formed) << a.error;
  EXPECT_EQ(a.ttl, 0u);
}

TEST(wire, rejects_malformed_messages) {
  // Not a response.
  message q("example.com", type_a, 0, 0, 0);
  q.b[2] &= 0x7f;
  EXPECT_FALSE(parse(q.b, "example.com", type_a).well_formed);
  // An answer to another question.
  message other("example.org", type_a, 0, 0, 0);
  EXPECT_FALSE(parse(other.b, "example.com", type_a).well_formed);
  message other_type("example.com", type_aaaa, 0, 0, 0);
  EXPECT_FALSE(parse(other_type.b, "example.com", type_a).well_formed);
  // An A record of 5 octets.
  message bad_a("example.com", type_a, 0, 1, 0);
  bad_a.rr(type_a, 60, {1, 2, 3, 4, 5});
  EXPECT_FALSE(parse(bad_a.b, "example.com", type_a).well_formed);
  // A TXT string longer than its record.
  message bad_txt("example.com", type_txt, 0, 1, 0);
  bad_txt.rr(type_txt, 60, {9, 'a', 'b'});
  EXPECT_FALSE(parse(bad_txt.b, "example.com", type_txt).well_formed);
  // An MX target running past its RDATA.
  message bad_mx("example.com", type_mx, 0, 1, 0);
  bad_mx.rr(type_mx, 60, {0, 10, 3, 'm', 'x'});
  EXPECT_FALSE(parse(bad_mx.b, "example.com", type_mx).well_formed);
  // More answers announced than present.
  message short_an("example.com", type_a, 0, 2, 0);
  short_an.rr(type_a, 60, {1, 2, 3, 4});
  EXPECT_FALSE(parse(short_an.b, "example.com", type_a).well_formed);
  // Too short for a header.
  EXPECT_FALSE(parse(bytes{0x12, 0x34, 0x81}, "example.com", type_a).well_formed);
  EXPECT_FALSE(parse(bytes{}, "example.com", type_a).well_formed);
}

TEST(wire, compression_pointers_must_go_backwards) {
  // A pointer to itself.
  message self("example.com", type_a, 0, 1, 0);
  const std::size_t at = self.b.size();
  put_pointer(self.b, static_cast<unsigned>(at));
  put16(self.b, type_a);
  put16(self.b, 1);
  put32(self.b, 60);
  put16(self.b, 4);
  self.b.insert(self.b.end(), {1, 2, 3, 4});
  EXPECT_FALSE(parse(self.b, "example.com", type_a).well_formed);

  // A pointer forwards (past the end).
  message fwd("example.com", type_a, 0, 1, 0);
  put_pointer(fwd.b, 0x3fff);
  EXPECT_FALSE(parse(fwd.b, "example.com", type_a).well_formed);

  // Two labels pointing at each other in a loop: label "a" then a pointer back to it.
  message loop("example.com", type_a, 0, 1, 0);
  const std::size_t start = loop.b.size();
  loop.b.push_back(1);
  loop.b.push_back('a');
  put_pointer(loop.b, static_cast<unsigned>(start));
  EXPECT_FALSE(parse(loop.b, "example.com", type_a).well_formed);
}

TEST(wire, names_longer_than_255_octets_are_malformed) {
  bytes b;
  put16(b, 1);
  put16(b, 0x8180);
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  for (int i = 0; i < 5; ++i) {  // 5 labels of 63 = 320 octets
    b.push_back(63);
    b.insert(b.end(), 63, 'a');
  }
  b.push_back(0);
  put16(b, type_a);
  put16(b, 1);
  std::size_t pos = 12;
  std::string name;
  EXPECT_FALSE(read_name(std::span<const std::uint8_t>(b), pos, name));
}

TEST(wire, escapes_unusual_octets_in_names) {
  const bytes b = {3, 'a', '.', 0x01, 2, 'B', '\\', 0};
  std::size_t pos = 0;
  std::string name;
  ASSERT_TRUE(read_name(std::span<const std::uint8_t>(b), pos, name));
  EXPECT_EQ(name, "a\\046\\001.b\\092");
  EXPECT_EQ(pos, b.size());
}

bytes full_message() {
  message m("www.example.com", type_mx, 0, 3, 1);
  m.rr(type_cname, 50, name_bytes("mail.example.com"));
  bytes mx;
  put16(mx, 10);
  mx.push_back(2);
  mx.insert(mx.end(), {'m', 'x'});
  put_pointer(mx, 12);
  m.rr(type_mx, 300, mx, false, "mail.example.com");
  m.rr(type_txt, 300, {3, 'a', 'b', 'c', 2, 'd', 'e'});
  m.rr(type_soa, 900, soa_rdata(60), false, "example.com");
  return m.b;
}

TEST(wire, every_truncation_is_malformed_and_never_read_past) {
  const bytes full = full_message();
  const auto whole = parse(full, "www.example.com", type_mx);
  ASSERT_TRUE(whole.well_formed) << whole.error;
  ASSERT_EQ(whole.records.size(), 1u);
  EXPECT_EQ(whole.records[0].data, "mx.www.example.com");
  for (std::size_t n = 0; n < full.size(); ++n) {
    const bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(parse(prefix, "www.example.com", type_mx).well_formed) << "length " << n;
  }
}

TEST(wire, corrupted_messages_never_read_out_of_bounds) {
  const bytes full = full_message();
  std::mt19937 random(12345);
  std::size_t well_formed = 0;
  for (int i = 0; i < 20000; ++i) {
    bytes m = full;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      m[random() % m.size()] = static_cast<std::uint8_t>(random());
    }
    if (random() % 4 == 0) {
      m.resize(random() % m.size());
    }
    well_formed += parse(m, "www.example.com", type_mx).well_formed ? 1 : 0;
  }
  // Reaching here without a crash is the point; some mutations leave the message readable.
  EXPECT_GT(well_formed, 0u);
}

}  // namespace
}  // namespace im2k::dns::wire
