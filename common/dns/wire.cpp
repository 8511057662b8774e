#include "common/dns/wire.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace im2k::dns::wire {

namespace {

constexpr std::size_t header_size = 12;
constexpr std::uint16_t class_in = 1;
constexpr std::size_t max_name_octets = 255;  // RFC 1035 3.1, in wire form
constexpr int max_pointer_hops = 127;
constexpr int max_cname_chain = 16;

struct raw_rr {
  std::string owner;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::size_t rdata = 0;  // offset of the RDATA in the message
  std::size_t rdlength = 0;
};

bool read_u16(std::span<const std::uint8_t> m, std::size_t& pos, std::uint16_t& out) {
  if (pos > m.size() || m.size() - pos < 2) {
    return false;
  }
  out = static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1]);
  pos += 2;
  return true;
}

bool read_u32(std::span<const std::uint8_t> m, std::size_t& pos, std::uint32_t& out) {
  if (pos > m.size() || m.size() - pos < 4) {
    return false;
  }
  out = (std::uint32_t{m[pos]} << 24) | (std::uint32_t{m[pos + 1]} << 16) |
        (std::uint32_t{m[pos + 2]} << 8) | std::uint32_t{m[pos + 3]};
  pos += 4;
  return true;
}

// RFC 2181 8: a TTL with the top bit set is treated as zero.
std::uint32_t sane_ttl(std::uint32_t ttl) {
  return ttl > 0x7fffffffu ? 0 : ttl;
}

bool read_rr(std::span<const std::uint8_t> m, std::size_t& pos, raw_rr& rr) {
  std::uint16_t rdlength = 0;
  if (!read_name(m, pos, rr.owner) || !read_u16(m, pos, rr.type) || !read_u16(m, pos, rr.klass) ||
      !read_u32(m, pos, rr.ttl) || !read_u16(m, pos, rdlength)) {
    return false;
  }
  if (m.size() - pos < rdlength) {
    return false;
  }
  rr.ttl = sane_ttl(rr.ttl);
  rr.rdata = pos;
  rr.rdlength = rdlength;
  pos += rdlength;
  return true;
}

// A name inside RDATA must end exactly where the RDATA ends (or where the caller expects more).
bool read_rdata_name(std::span<const std::uint8_t> m, const raw_rr& rr, std::size_t& pos,
                     std::string& name) {
  const auto rdata = m.first(rr.rdata + rr.rdlength);
  return read_name(rdata, pos, name);
}

bool decode(std::span<const std::uint8_t> m, const raw_rr& rr, record& out) {
  out.ttl = rr.ttl;
  const std::size_t end = rr.rdata + rr.rdlength;
  std::size_t pos = rr.rdata;
  switch (rr.type) {
    case type_a:
    case type_aaaa:
      if (rr.rdlength != (rr.type == type_a ? 4u : 16u)) {
        return false;
      }
      out.data.assign(reinterpret_cast<const char*>(m.data() + rr.rdata), rr.rdlength);
      return true;
    case type_mx:
      if (!read_u16(m.first(end), pos, out.preference)) {
        return false;
      }
      return read_rdata_name(m, rr, pos, out.data) && pos == end;
    case type_ptr:
    case type_cname:
      return read_rdata_name(m, rr, pos, out.data) && pos == end;
    case type_txt:
      while (pos < end) {
        const std::size_t length = m[pos];
        if (end - pos - 1 < length) {
          return false;
        }
        out.data.append(reinterpret_cast<const char*>(m.data() + pos + 1), length);
        pos += 1 + length;
      }
      return true;
    default:
      return false;
  }
}

// SOA RDATA: MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM.
bool soa_minimum(std::span<const std::uint8_t> m, const raw_rr& rr, std::uint32_t& minimum) {
  const std::size_t end = rr.rdata + rr.rdlength;
  std::size_t pos = rr.rdata;
  std::string ignored;
  if (!read_rdata_name(m, rr, pos, ignored) || !read_rdata_name(m, rr, pos, ignored)) {
    return false;
  }
  if (end - pos != 20) {
    return false;
  }
  pos += 16;
  return read_u32(m, pos, minimum);
}

answer malformed(std::string why) {
  answer a;
  a.error = std::move(why);
  return a;
}

}  // namespace

void append_label_octet(std::string& out, std::uint8_t c) {
  if (c >= 'A' && c <= 'Z') {
    out += static_cast<char>(c - 'A' + 'a');
  } else if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
    out += static_cast<char>(c);
  } else {
    char escaped[5];
    std::snprintf(escaped, sizeof escaped, "\\%03u", static_cast<unsigned>(c));
    out += escaped;
  }
}

bool read_name(std::span<const std::uint8_t> m, std::size_t& pos, std::string& name) {
  name.clear();
  std::size_t p = pos;
  bool jumped = false;
  int hops = 0;
  std::size_t octets = 1;  // the root label
  while (true) {
    if (p >= m.size()) {
      return false;
    }
    const std::uint8_t length = m[p];
    if ((length & 0xc0) == 0xc0) {
      if (m.size() - p < 2) {
        return false;
      }
      const std::size_t target = (std::size_t{length & 0x3fu} << 8) | m[p + 1];
      // Pointers only go backwards, and only so many times: no loops.
      if (target >= p || ++hops > max_pointer_hops) {
        return false;
      }
      if (!jumped) {
        pos = p + 2;
        jumped = true;
      }
      p = target;
      continue;
    }
    if ((length & 0xc0) != 0) {
      return false;  // extended label types (RFC 6891) are not used in names
    }
    if (length == 0) {
      if (!jumped) {
        pos = p + 1;
      }
      return true;
    }
    if (m.size() - p - 1 < length) {
      return false;
    }
    octets += 1 + length;
    if (octets > max_name_octets) {
      return false;
    }
    if (!name.empty()) {
      name += '.';
    }
    for (std::size_t i = 0; i < length; ++i) {
      append_label_octet(name, m[p + 1 + i]);
    }
    p += 1 + length;
  }
}

answer parse_answer(std::span<const std::uint8_t> m, std::string_view qname, std::uint16_t qtype) {
  if (m.size() < header_size) {
    return malformed("short header");
  }
  std::size_t pos = 0;
  std::uint16_t id = 0, flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  read_u16(m, pos, id);
  read_u16(m, pos, flags);
  read_u16(m, pos, qdcount);
  read_u16(m, pos, ancount);
  read_u16(m, pos, nscount);
  read_u16(m, pos, arcount);
  if ((flags & 0x8000) == 0) {
    return malformed("not a response");
  }
  if (qdcount != 1) {
    return malformed("question count is not 1");
  }
  std::string name;
  std::uint16_t type = 0, klass = 0;
  if (!read_name(m, pos, name) || !read_u16(m, pos, type) || !read_u16(m, pos, klass)) {
    return malformed("truncated question");
  }
  if (name != qname || type != qtype || klass != class_in) {
    return malformed("answer to another question");
  }

  answer out;
  out.rcode = flags & 0x000f;
  std::vector<raw_rr> answers;
  for (std::uint16_t i = 0; i < ancount; ++i) {
    raw_rr rr;
    if (!read_rr(m, pos, rr)) {
      return malformed("truncated answer section");
    }
    if (rr.klass == class_in) {
      answers.push_back(std::move(rr));
    }
  }
  for (std::uint16_t i = 0; i < nscount; ++i) {
    raw_rr rr;
    if (!read_rr(m, pos, rr)) {
      return malformed("truncated authority section");
    }
    std::uint32_t minimum = 0;
    if (rr.klass == class_in && rr.type == type_soa && !out.negative_ttl) {
      if (!soa_minimum(m, rr, minimum)) {
        return malformed("bad SOA record");
      }
      out.negative_ttl = std::min(rr.ttl, sane_ttl(minimum));
    }
  }
  // The additional section is not used; its records are not read.

  std::string current(qname);
  std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
  for (int chain = 0; chain < max_cname_chain && qtype != type_cname; ++chain) {
    const auto cname = std::find_if(answers.begin(), answers.end(), [&](const raw_rr& rr) {
      return rr.type == type_cname && rr.owner == current;
    });
    if (cname == answers.end()) {
      break;
    }
    record target;
    if (!decode(m, *cname, target)) {
      return malformed("bad CNAME record");
    }
    ttl = std::min(ttl, cname->ttl);
    current = std::move(target.data);
  }
  out.cname_ttl = ttl;
  for (const raw_rr& rr : answers) {
    if (rr.type != qtype || rr.owner != current) {
      continue;
    }
    record r;
    if (!decode(m, rr, r)) {
      return malformed("bad record of the asked type");
    }
    ttl = std::min(ttl, r.ttl);
    out.records.push_back(std::move(r));
  }
  out.ttl = out.records.empty() ? 0 : ttl;
  out.canonical_name = std::move(current);
  out.well_formed = true;
  return out;
}

}  // namespace im2k::dns::wire
