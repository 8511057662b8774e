#include "common/os/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace im2k::os {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// The failure of a system call, with errno read before anything else can change it.
std::runtime_error call_failed(const char* call) {
  const int error = errno;
  return std::runtime_error(std::string(call) + ": " + errno_text(error));
}

struct user_entry {
  uid_t uid;
  gid_t gid;
};

std::optional<user_entry> find_user(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return std::nullopt;
  }
  return user_entry{found->pw_uid, found->pw_gid};
}

std::optional<gid_t> find_group(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return std::nullopt;
  }
  return found->gr_gid;
}

}  // namespace

std::optional<run_as> prepare_privilege_drop(const std::optional<std::string>& user,
                                             const std::optional<std::string>& group,
                                             const std::filesystem::path& state_dir) {
  if (!user) {
    return std::nullopt;
  }
  const auto entry = find_user(*user);
  if (!entry) {
    throw std::runtime_error("user \"" + *user + "\" (config key \"user\") does not exist");
  }
  run_as who{*user, entry->uid, entry->gid};
  if (group) {
    const auto gid = find_group(*group);
    if (!gid) {
      throw std::runtime_error("group \"" + *group + "\" (config key \"group\") does not exist");
    }
    who.gid = *gid;
  }
  if (geteuid() != 0) {
    if (geteuid() == who.uid && (!group || getegid() == who.gid)) {
      return std::nullopt;  // already that user (e.g. systemd's User=)
    }
    if (geteuid() == who.uid) {
      throw std::runtime_error("the config says group = \"" + *group +
                               "\", but the daemon runs as gid " + std::to_string(getegid()) +
                               " and only root can switch groups");
    }
    throw std::runtime_error("the config says user = \"" + *user +
                             "\", but the daemon runs as uid " + std::to_string(geteuid()) +
                             " and only root can switch users; start it as root or as " + *user);
  }
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0) {
    const int error = errno;
    throw std::runtime_error("state_dir " + state_dir.string() + ": " + errno_text(error) +
                             " (running as user \"" + *user +
                             "\" needs it to exist, owned by that user)");
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != who.uid) {
    throw std::runtime_error("state_dir " + state_dir.string() + " is owned by uid " +
                             std::to_string(st.st_uid) + ", not by user \"" + *user + "\" (uid " +
                             std::to_string(who.uid) + "); run: chown " + *user + " " +
                             state_dir.string());
  }
  // From here on files are created as the user; binding stays root's. Threads started later
  // inherit these ids, which is why this runs before the store starts its writer thread.
  setfsgid(who.gid);
  setfsuid(who.uid);
  if (static_cast<gid_t>(setfsgid(static_cast<gid_t>(-1))) != who.gid ||
      static_cast<uid_t>(setfsuid(static_cast<uid_t>(-1))) != who.uid) {
    throw std::runtime_error("cannot switch the file-system ids to user \"" + *user + "\"");
  }
  return who;
}

void drop_privileges(const run_as& who) {
  // The group first: after setuid the process may no longer change it.
  if (::setgroups(0, nullptr) != 0) {
    throw call_failed("setgroups(0)");
  }
  if (::setgid(who.gid) != 0) {
    throw call_failed("setgid");
  }
  if (::setuid(who.uid) != 0) {
    throw call_failed("setuid");
  }
  if (who.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    throw std::runtime_error("dropped to user \"" + who.user + "\" but could become root again");
  }
  if (::getuid() != who.uid || ::geteuid() != who.uid || ::getgid() != who.gid ||
      ::getegid() != who.gid) {
    throw std::runtime_error("the process ids are not user \"" + who.user + "\"'s after the drop");
  }
}

}  // namespace im2k::os
