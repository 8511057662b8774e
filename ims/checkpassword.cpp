#include "ims/checkpassword.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string_view>

#include <openssl/crypto.h>

#include "ims/config.hpp"
#include "ims/schema.hpp"
#include "ims/users.hpp"
#include "proto/syntax.hpp"

namespace im2k::ims {
namespace {

constexpr int auth_failed = 1;
constexpr int temporary_failure = 111;
constexpr std::size_t max_input = 512;  // the protocol's own bound

// Everything on fd 3, at most max_input octets; nullopt if more came or it cannot be read.
std::optional<std::string> read_fd3() {
  std::string input;
  char buffer[max_input + 1];
  for (;;) {
    const ssize_t n = ::read(3, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      return input;
    }
    input.append(buffer, static_cast<std::size_t>(n));
    if (input.size() > max_input) {
      return std::nullopt;
    }
  }
}

// The password does not outlive its check in this process's memory.
void wipe(std::string& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace

int checkpassword_command(const std::string& config_path, const std::vector<std::string>& reply) {
  if (reply.empty()) {
    std::cerr << "im2k-ims checkpassword: expected the reply program (Dovecot's "
                 "checkpassword-reply) after the options\n";
    return 2;
  }
  auto input = read_fd3();
  if (!input) {
    std::cerr << "im2k-ims checkpassword: cannot read \"user\\0password\\0\" from fd 3 (at most "
              << max_input << " octets)\n";
    return 2;
  }
  const auto user_end = input->find('\0');
  const auto pass_end = user_end == std::string::npos ? user_end : input->find('\0', user_end + 1);
  if (pass_end == std::string::npos) {
    std::cerr << "im2k-ims checkpassword: fd 3 holds no \"user\\0password\\0\"\n";
    return 2;
  }
  const std::string login = input->substr(0, user_end);
  std::string password = input->substr(user_end + 1, pass_end - user_end - 1);
  wipe(*input);
  // AUTHORIZED=1: a userdb lookup, no password to check ([I-7]).
  const char* authorized = std::getenv("AUTHORIZED");
  const bool lookup_only = authorized != nullptr && std::string_view(authorized) == "1";

  auto loaded = load_config(config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) {
      std::cerr << "im2k-ims checkpassword: " << e << "\n";
    }
    wipe(password);
    return temporary_failure;
  }
  const std::string address = proto::to_lower(login);
  auto parsed = proto::parse_address(address);
  std::optional<std::string> stored;
  try {
    auto db = open_database(loaded.config.state_dir);
    if (parsed && loaded.config.serves_domain(parsed->domain)) {
      auto hash = password_hash(db, address);
      if (!hash) {
        std::cerr << "im2k-ims checkpassword: cannot read the users: " << hash.error().message()
                  << "\n";
        wipe(password);
        return temporary_failure;
      }
      stored = *hash;
    }
  } catch (const std::exception& e) {
    std::cerr << "im2k-ims checkpassword: " << e.what() << "\n";
    wipe(password);
    return temporary_failure;
  }
  const bool ok = lookup_only ? stored.has_value() : password_matches(stored, password);
  wipe(password);
  if (!ok) {
    return auth_failed;  // Dovecot logs the failure with the login name
  }
  ::setenv("USER", address.c_str(), 1);
  if (lookup_only) {
    ::setenv("AUTHORIZED", "2", 1);
  }
  std::vector<char*> args;
  for (const auto& a : reply) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  std::cerr << "im2k-ims checkpassword: cannot run " << reply[0] << ": " << std::strerror(errno)
            << "\n";
  return temporary_failure;
}

}  // namespace im2k::ims
