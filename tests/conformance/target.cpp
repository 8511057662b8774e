#include "tests/conformance/target.hpp"

#include <fstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

namespace im2k::conform {

namespace {

// "127.0.3.1" -> "127.0.3.9": an address beside the suite's OMS that DNS does not name.
std::string stray_beside(const std::string& address) {
  auto dot = address.rfind('.');
  return address.substr(0, dot + 1) + "9";
}

const nlohmann::json* find_domain(const nlohmann::json& state, const std::string& name) {
  for (const auto& d : state.at("domains"))
    if (d.at("name") == name)
      return &d;
  return nullptr;
}

}  // namespace

boost::system::result<target, std::string> target_from_testbed(const std::filesystem::path& dir,
                                                               const std::string& suite_domain,
                                                               const std::string& ims_domain,
                                                               const std::string& oms_domain) {
  std::ifstream in(dir / "state.json");
  if (!in)
    return std::string("cannot read ") + (dir / "state.json").string();
  auto state = nlohmann::json::parse(in, nullptr, false);
  if (state.is_discarded())
    return std::string("state.json is not JSON");
  try {
    target t;
    t.ca_cert = state.at("ca").at("cert").get<std::string>();
    t.ca_key = state.at("ca").at("key").get<std::string>();
    t.ca_dir = state.at("ca").at("dir").get<std::string>();
    t.crl = state.at("ca").at("crl").get<std::string>();
    const auto* ims = find_domain(state, ims_domain);
    const auto* oms = find_domain(state, oms_domain);
    const auto* suite = find_domain(state, suite_domain);
    if (!ims || !oms)
      return "the testbed has no domain " + (ims ? oms_domain : ims_domain);
    if (!suite)
      return "the testbed has no domain " + suite_domain + " (bring it up with --extra-domain " +
             suite_domain + ")";
    t.ims.host = ims->at("ims").at("host").get<std::string>();
    t.ims.address = ims->at("ims").at("address").get<std::string>();
    t.ims.domain = ims_domain;
    t.ims.port = ims->at("ims").at("ports").at("notify").get<std::uint16_t>();
    t.ims.user = ims->at("users").at(0).at("address").get<std::string>();
    t.oms.host = oms->at("oms").at("host").get<std::string>();
    t.oms.address = oms->at("oms").at("address").get<std::string>();
    t.oms.domain = oms_domain;
    t.oms.port = oms->at("oms").at("ports").at("pull").get<std::uint16_t>();
    t.oms.submit_port = oms->at("oms").at("ports").at("submit").get<std::uint16_t>();
    t.oms.user = oms->at("users").at(0).at("address").get<std::string>();
    t.oms.password_file = oms->at("users").at(0).at("password_file").get<std::string>();
    t.suite_domain = suite_domain;
    t.suite_oms_address = suite->at("oms").at("address").get<std::string>();
    t.suite_mx_address = suite->at("ims").at("address").get<std::string>();
    t.stray_address = stray_beside(t.suite_oms_address);
    t.pull_port = t.oms.port;
    t.notify_port = t.ims.port;
    t.foreign_domain = oms_domain;
    const auto& pid = ims->at("ims").at("pid");
    t.ims_pid = pid.is_number_integer() ? pid.get<int>() : 0;
    return t;
  } catch (const nlohmann::json::exception& e) {
    return std::string("state.json: ") + e.what();
  }
}

boost::system::result<target, std::string> target_from_toml(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return file.string() + ": " + std::string(e.description());
  }
  std::string missing;
  auto str = [&](std::string_view path) {
    auto v = root.at_path(path).value<std::string>();
    if (!v && missing.empty())
      missing = std::string(path);
    return v.value_or("");
  };
  auto port = [&](std::string_view path, std::uint16_t fallback) {
    auto v = root.at_path(path).value<std::int64_t>();
    return static_cast<std::uint16_t>(v.value_or(fallback));
  };
  target t;
  t.ca_dir = str("ca.dir");
  t.ca_cert = t.ca_dir / "ca.pem";
  t.ca_key = t.ca_dir / "ca.key";
  t.crl = str("ca.crl");
  t.ims.host = str("ims.host");
  t.ims.address = str("ims.address");
  t.ims.domain = str("ims.domain");
  t.ims.user = str("ims.user");
  t.ims.port = port("ims.notify_port", 4650);
  t.oms.host = str("oms.host");
  t.oms.address = str("oms.address");
  t.oms.domain = str("oms.domain");
  t.oms.user = str("oms.user");
  t.oms.password_file = str("oms.password_file");
  t.oms.port = port("oms.pull_port", 4652);
  t.oms.submit_port = port("oms.submit_port", 4653);
  t.suite_domain = str("suite.domain");
  t.suite_oms_address = str("suite.oms_address");
  t.suite_mx_address = str("suite.mx_address");
  t.stray_address = str("suite.stray_address");
  t.pull_port = port("suite.pull_port", 4652);
  t.notify_port = port("suite.notify_port", 4650);
  t.foreign_domain = str("suite.foreign_domain");
  if (!missing.empty())
    return file.string() + ": key " + missing + ": expected a string";
  t.temperror_domain = root.at_path("suite.temperror_domain").value<std::string>().value_or("");
  return t;
}

}  // namespace im2k::conform
