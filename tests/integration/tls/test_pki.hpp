// A throw-away PKI made with deploy/pki/pki.sh in a fresh temporary directory.
#pragma once

#include <filesystem>
#include <string>

#include "common/tls/settings.hpp"

namespace im2k::tls::testing {

class test_pki {
 public:
  // Creates the temporary directory and the CA "ca" in it.
  test_pki();
  ~test_pki();  // removes the directory
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  // Runs pki.sh with `args` (words separated by spaces, no quoting needed for our names);
  // throws std::runtime_error with its output if it fails.
  std::string run(const std::string& args) const;

  // The same without throwing: the exit status (0 = success) and the output.
  struct outcome {
    int status = -1;
    std::string output;
  };
  outcome try_run(const std::string& args) const;

  const std::filesystem::path& dir() const { return dir_; }
  std::string ca_dir(const std::string& ca = "ca") const { return (dir_ / ca).string(); }
  std::string path(const std::string& file, const std::string& ca = "ca") const {
    return (dir_ / ca / file).string();
  }

  // Settings using certificate NAME of `ca`, trusting "ca", with "ca"'s crl.pem (require).
  tls_settings settings(const std::string& name, const std::string& ca = "ca") const;

 private:
  std::filesystem::path dir_;
};

}  // namespace im2k::tls::testing
