#include "common/tls/credentials.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>

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
    spdlog::error("tls reload of {} failed, keeping the previous certificates: {}",
                  name_of(side_, kind_), built.error);
    return {built.error};
  }
  current_.store(std::move(built.context));
  spdlog::info("tls reload of {}: new connections use {}", name_of(side_, kind_),
               settings_.cert_file.empty() ? "no certificate" : settings_.cert_file);
  return {};
}

}  // namespace im2k::tls
