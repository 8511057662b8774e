// The parts of a daemon's configuration that im2k-oms and im2k-ims share: the [tls], [dns] and
// [log] sections, the root keys host, domains and bind_address, and the error format for
// checks that no getter of config::table does. Each reader records its errors in `errors` (in
// the format of common/config) and never throws.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/config/config.hpp"
#include "common/log/log.hpp"
#include "common/tls/settings.hpp"

namespace im2k::config {

// "\"TEXT\"".
std::string quote(std::string_view text);
// FILE: key "KEY": expected EXPECTED, got GOT
std::string key_error(const std::string& file, std::string_view key, std::string_view expected,
                      std::string_view got);

// [tls] cert, key (required, existing files), ca_file (optional: the system store when
// absent), user_ca_file (optional: the anchors of user certificates on the submit and mailbox
// listeners, [C-11]; none accepted when absent), crl_files (relative to the file's directory), crl
// ("require" by default, which then needs a CRL file when the table is present).
tls::tls_settings read_tls_section(table t, const std::string& file,
                                   std::vector<std::string>& errors);

// [dns] servers; empty: resolv.conf.
std::vector<std::string> read_dns_section(table t);

struct log_settings {
  log::level level = log::level::info;
  std::optional<std::filesystem::path> file;  // none: standard error
};

// [log] level ("debug", "info", "warn", "error"; info by default), file.
log_settings read_log_section(table t);

// host (required), lower-cased; `example` is the host name the error suggests.
std::string read_host(table root, std::string_view example, const std::string& file,
                      std::vector<std::string>& errors);
// domains (required, not empty), lower-cased.
std::vector<std::string> read_domains(table root, const std::string& file,
                                      std::vector<std::string>& errors);
// bind_address (optional); `example` is the address the error suggests.
std::optional<boost::asio::ip::address> read_bind_address(table root, std::string_view example,
                                                          const std::string& file,
                                                          std::vector<std::string>& errors);

// Appends the daemon's own checks (`extra`) to the document's errors, unless the file could not
// be read or parsed ("FILE: cannot read ..." or "FILE:LINE:COL: ..."): then the getters were
// silent, and the checks would only repeat that error.
void add_checks(std::vector<std::string>& errors, const std::vector<std::string>& extra,
                const std::string& file);

// `user` or `group` at the top level: absent -> nullopt; else a POSIX account name such as
// "im2k" (whether it exists is checked at start, common/os/privileges).
std::optional<std::string> read_account(table root, std::string_view key, const std::string& file,
                                        std::vector<std::string>& errors);

}  // namespace im2k::config
