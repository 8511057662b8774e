// A pulled body on its way to disk: each chunk goes through the message scanner (trace fields
// in front, header checks, digest, [P-6] ... [P-9]) and into a durable file that becomes the
// stored copy only once store_body commits it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <boost/system/error_code.hpp>

#include "common/net/body.hpp"
#include "common/store/durable_file.hpp"
#include "ims/headers.hpp"
#include "ims/message_scanner.hpp"

namespace im2k::ims {

class body_receiver {
 public:
  // `authserv_id`: ours ([P-13]).
  body_receiver(const trace_values& trace, std::string authserv_id, std::string sender_domain);

  // Creates the body file in `dir` under a fresh name.
  boost::system::error_code open(const std::filesystem::path& dir);
  // Feeds the receiver; valid while the receiver lives. Write errors are kept, not returned,
  // so the body is still read to its end and the connection stays usable.
  net::body_sink sink();
  // The first write error, if any.
  boost::system::error_code error() const { return error_; }
  scan_verdict finish() { return scanner_.finish(); }
  store::durable_file& file() { return *file_; }
  const std::string& name() const { return name_; }
  // Removes the file, if one was opened (and not committed).
  void abort();

 private:
  message_scanner scanner_;
  std::optional<store::durable_file> file_;
  std::string name_;
  std::string out_;
  boost::system::error_code error_;
};

}  // namespace im2k::ims
