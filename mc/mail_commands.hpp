// The mail commands of `im2k`: send, status, recall and sent talk to the user's OMS (submit
// listener), list, fetch and delete to their IMS (mailbox listener). Each adds its subcommand to
// `app` and sets `exit_status`: 0 success, 1 permanent failure, 75 temporary failure, 2 usage or
// settings error.
#pragma once

#include <CLI/CLI.hpp>

namespace im2k::mc {

void add_send(CLI::App& app, int& exit_status);
void add_status(CLI::App& app, int& exit_status);
void add_recall(CLI::App& app, int& exit_status);
void add_sent(CLI::App& app, int& exit_status);
void add_list(CLI::App& app, int& exit_status);
void add_fetch(CLI::App& app, int& exit_status);
void add_delete(CLI::App& app, int& exit_status);

// The footer every mail command shows in --help.
inline constexpr const char* exit_status_footer =
    "Exit status: 0 success, 1 permanent failure, 75 temporary failure (try again later), "
    "2 usage or settings error. Errors print the server's code and message.";

}  // namespace im2k::mc
