// A SQLite VFS that wraps the default one and counts every xSync (count_fsync(sqlite)), so the
// fsyncs SQLite makes for its commits and checkpoints are counted where they happen, not guessed
// from the number of transactions. Everything else is passed through unchanged.
#pragma once

namespace im2k::store {

// Registers the wrapper as the default VFS, once per process (later calls do nothing); every
// connection opened afterwards is counted. sqlite_db's constructor calls it. Throws
// std::runtime_error if SQLite has no default VFS or refuses the registration.
void install_counting_vfs();

}  // namespace im2k::store
