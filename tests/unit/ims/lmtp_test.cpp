// The LMTP client's data transform and the refusal a 5xx becomes (proto/SPEC.md [I-2], [I-4]).
#include <string>

#include <gtest/gtest.h>

#include "ims/lmtp_client.hpp"
#include "ims/lmtp_delivery.hpp"

namespace im2k::ims {
namespace {

std::string stuff(std::string_view in) {
  bool at_line_start = true;
  bool pending_cr = false;
  return lmtp_stuff(in, at_line_start, pending_cr);
}

TEST(LmtpStuff, DoublesALeadingDotAndKeepsCrlf) {  // [I-2]
  EXPECT_EQ(stuff("a\r\n.b\r\n..c\r\nd.e\r\n"), "a\r\n..b\r\n...c\r\nd.e\r\n");
  EXPECT_EQ(stuff(".\r\n"), "..\r\n");
}

TEST(LmtpStuff, BareLfAndBareCrBecomeCrlf) {  // [I-2]
  EXPECT_EQ(stuff("a\nb\rc\r\n"), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(stuff("a\n.b"), "a\r\n..b");
}

TEST(LmtpStuff, PiecesGiveTheSameAsTheWhole) {  // a file is sent 64 KiB at a time
  const std::string whole = "x\r\n.y\r\nz\n.w\r";
  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    bool at_line_start = true;
    bool pending_cr = false;
    std::string out = lmtp_stuff(std::string_view(whole).substr(0, cut), at_line_start, pending_cr);
    out += lmtp_stuff(std::string_view(whole).substr(cut), at_line_start, pending_cr);
    if (pending_cr) {
      out += "\r\n";
    }
    EXPECT_EQ(out, "x\r\n..y\r\nz\r\n..w\r\n") << "cut at " << cut;
  }
}

TEST(LmtpRefusal, EnhancedCodesNameTheRefusal) {  // [I-4]
  EXPECT_EQ(refusal_for({550, "5.1.1 <x@beta.test> User doesn't exist"}),
            proto::errc::unknown_recipient);
  EXPECT_EQ(refusal_for({552, "5.2.2 <x@beta.test> Quota exceeded"}), proto::errc::quota_exceeded);
  EXPECT_EQ(refusal_for({552, "5.3.4 Message too big"}), proto::errc::message_too_large);
  EXPECT_EQ(refusal_for({554, "5.7.1 Rejected"}), proto::errc::policy);
  EXPECT_EQ(refusal_for({550, "no enhanced code"}), proto::errc::policy);
}

}  // namespace
}  // namespace im2k::ims
