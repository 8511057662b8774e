#include "common/tls/credentials.hpp"

#include <stdexcept>

#include "common/log/log.hpp"

namespace im2k::tls {

namespace {

std::string name_of(side s, listener_kind kind) {
  return std::string(to_string(kind)) + (s == side::server ? " listener" : " client");
}

}  // namespace

credentials::credentials(tls_settings settings, side s, listener_kind kind)
    : settings_(std::move(settings)), side_(s), kind_(kind) {
  context_result built = make_context(settings_, side_, kind_);
  if (!built) {
    throw std::runtime_error("tls " + name_of(side_, kind_) + ": " + built.error);
  }
  current_.store(std::move(built.context));
}

reload_result credentials::reload() {
  context_result built = make_context(settings_, side_, kind_);
  if (!built) {
    log::error("tls.reload_failed")
        .kv("credentials", name_of(side_, kind_))
        .kv("error", built.error)
        .kv("effect", "the previous certificates, anchors and CRLs stay in force");
    return {built.error};
  }
  current_.store(std::move(built.context));
  const std::string cert = settings_.cert_file.empty() ? "none" : settings_.cert_file;
  log::info("tls.reloaded").kv("credentials", name_of(side_, kind_)).kv("cert", cert);
  return {};
}

}  // namespace im2k::tls
