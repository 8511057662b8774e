// The test zones served by unbound in the DNS integration tests.
#pragma once

#include <string>

#include "tests/support/unbound_server.hpp"

namespace im2k::test {

// dnstest.test: A, AAAA, MX (three preferences), a null MX, TXT, CNAME, PTR, and n0..n{count-1}
// with A 127.0.2.<i % 250>; refused.test answers REFUSED; slow.test is forwarded to `slow_port`.
inline unbound_options dns_test_zones(std::uint16_t slow_port, int count = 0) {
  unbound_options z;
  const std::string soa = " 300 IN SOA ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 ";
  z.local_zones = {"dnstest.test. static", "2.0.192.in-addr.arpa. static", "refused.test. refuse"};
  z.local_data = {
      "dnstest.test." + soa + "60",
      "2.0.192.in-addr.arpa." + soa + "60",
      "host.dnstest.test. 300 IN A 127.0.1.1",
      "host.dnstest.test. 300 IN AAAA 2001:db8::1",
      "multi.dnstest.test. 300 IN A 127.0.1.2",
      "multi.dnstest.test. 300 IN A 127.0.1.3",
      "alias.dnstest.test. 300 IN CNAME host.dnstest.test.",
      "dnstest.test. 300 IN MX 20 mx2.dnstest.test.",
      "dnstest.test. 300 IN MX 10 mx1.dnstest.test.",
      "dnstest.test. 300 IN MX 30 mx3.other.test.",
      "nullmx.dnstest.test. 300 IN MX 0 .",
      "txt.dnstest.test. 300 IN TXT \"v=spf1 \" \"ip4:127.0.0.1\" \" -all\"",
      "txt.dnstest.test. 300 IN TXT \"second\"",
      "10.2.0.192.in-addr.arpa. 300 IN PTR host.dnstest.test.",
      // Names an SPF macro can build: a space, a quote, a backslash (RFC 1035 5.1 escapes).
      "two\\032words.dnstest.test. 300 IN A 127.0.1.4",
      "it's.dnstest.test. 300 IN A 127.0.1.5",
      "back\\092slash.dnstest.test. 300 IN A 127.0.1.6",
      "spaced.dnstest.test. 300 IN CNAME two\\032words.dnstest.test.",
  };
  // Too big for one UDP answer (EDNS 1232): the resolver must retry over TCP.
  for (int i = 0; i < 12; ++i) {
    z.local_data.push_back("big.dnstest.test. 300 IN TXT \"" + std::to_string(i + 10) +
                           std::string(200, 'x') + "\"");
  }
  for (int i = 0; i < count; ++i) {
    z.local_data.push_back("n" + std::to_string(i) + ".dnstest.test. 300 IN A 127.0.2." +
                           std::to_string(i % 250));
  }
  z.forward_zones = {{"slow.test.", slow_port}};
  return z;
}

}  // namespace im2k::test
