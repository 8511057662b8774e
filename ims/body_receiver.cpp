#include "ims/body_receiver.hpp"

#include <utility>

#include "proto/syntax.hpp"

namespace im2k::ims {

body_receiver::body_receiver(const trace_values& trace, std::string authserv_id,
                             std::string sender_domain)
    : scanner_(trace_fields(trace), std::move(authserv_id), std::move(sender_domain)) {}

boost::system::error_code body_receiver::open(const std::filesystem::path& dir) {
  name_ = proto::new_message_id();
  auto file = store::durable_file::create(dir, name_);
  if (!file) {
    return file.error();
  }
  file_.emplace(std::move(*file));
  return {};
}

net::body_sink body_receiver::sink() {
  return [this](std::span<const char> chunk) -> boost::asio::awaitable<boost::system::error_code> {
    out_.clear();
    scanner_.feed(std::string_view(chunk.data(), chunk.size()), out_);
    if (!out_.empty() && !error_) {
      error_ = file_->append(out_);
    }
    co_return boost::system::error_code();
  };
}

void body_receiver::abort() {
  if (file_) {
    file_->abort();
  }
}

}  // namespace im2k::ims
