// Running as an unprivileged user after start-up (`user = "im2k"` in either daemon's config).
//
//   auto drop = os::prepare_privilege_drop(config.user, config.group, config.state_dir);
//   ... open the store (its files are created as the user), bind the listeners ...
//   if (drop) os::drop_privileges(*drop);  // for good: setuid(0) fails afterwards
//
// Started as root with `user` set, the daemon binds its listeners as root, and from
// prepare_privilege_drop on creates files as the user (the Linux file-system ids), so that the
// store never holds a root-owned file the dropped process could not write. Every failure is a
// start-up error: std::runtime_error with a message for the operator.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace im2k::os {

struct run_as {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Nothing to do (nullopt) when `user` is absent, or when the process is not root and already
// runs as `user` (and `group`, if given). Not root and another user or group: an error, as is
// an unknown user or group. Root: looks up `user` (and
// `group`, else the user's primary group), refuses a state_dir that is not an existing
// directory owned by that user, and switches the file-system ids to the user.
std::optional<run_as> prepare_privilege_drop(const std::optional<std::string>& user,
                                             const std::optional<std::string>& group,
                                             const std::filesystem::path& state_dir);

// setgroups(0), setgid, setuid to `who`, then checks that root cannot be regained.
void drop_privileges(const run_as& who);

}  // namespace im2k::os
