#include "common/metrics/answers.hpp"

#include <memory>
#include <utility>

#include "common/metrics/registry.hpp"

namespace im2k::metrics {

namespace {

struct answer_count {
  net::request_handler inner;
  std::string name;
  std::string help;
  request_filter which;
};

boost::asio::awaitable<void> serve_counted(std::shared_ptr<const answer_count> spec,
                                           net::session& s, net::incoming_request request) {
  const bool counted = spec->which(request);
  const std::uint64_t id = request.id;
  co_await spec->inner(s, std::move(request));
  if (!counted) {
    co_return;
  }
  const auto error = s.answered(id) ? s.answer_error(id) : proto::errc::internal;
  std::string result = error ? "error" : "ok";
  std::string code = error ? std::string(proto::to_string(*error)) : "none";
  count(spec->name, spec->help, {{"result", std::move(result)}, {"code", std::move(code)}});
}

}  // namespace

net::request_handler count_answers(net::request_handler inner, std::string name, std::string help,
                                   request_filter which) {
  auto spec = std::make_shared<const answer_count>(
      answer_count{std::move(inner), std::move(name), std::move(help), std::move(which)});
  return [spec](net::session& s, net::incoming_request request) {
    return serve_counted(spec, s, std::move(request));
  };
}

}  // namespace im2k::metrics
