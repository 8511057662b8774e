#include "common/store/counting_vfs.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>

#include <sqlite3.h>

#include "common/store/fsync_count.hpp"

namespace im2k::store {

namespace {

// Our file: SQLite allocates szOsFile bytes for it; the wrapped VFS's own file follows.
struct counting_file {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_vfs* root = nullptr;  // the wrapped default VFS, set once
sqlite3_vfs counting{};

sqlite3_file* real_of(sqlite3_file* f) {
  return reinterpret_cast<counting_file*>(f)->real;
}

// ---- io methods: each one calls the wrapped file's ---------------------------------------

int file_close(sqlite3_file* f) {
  auto* real = real_of(f);
  int rc = real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
  f->pMethods = nullptr;
  return rc;
}
int file_read(sqlite3_file* f, void* p, int n, sqlite3_int64 at) {
  return real_of(f)->pMethods->xRead(real_of(f), p, n, at);
}
int file_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 at) {
  return real_of(f)->pMethods->xWrite(real_of(f), p, n, at);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  count_fsync(fsync_kind::sqlite);
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int file_lock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int file_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int file_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int file_sector_size(sqlite3_file* f) {
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int file_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int file_shm_map(sqlite3_file* f, int page, int page_size, int extend, void volatile** p) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, page_size, extend, p);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* f) {
  real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int file_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}
int file_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** p) {
  return real_of(f)->pMethods->xFetch(real_of(f), at, n, p);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), at, p);
}

// The same methods as version 1, 2 and 3 tables: a wrapped file gets the table of its own
// version, so SQLite sees exactly the capabilities (shared memory, mmap) the real file has.
constexpr sqlite3_io_methods methods_of_version(int version) {
  return {version,
          file_close,
          file_read,
          file_write,
          file_truncate,
          file_sync,
          file_size,
          file_lock,
          file_unlock,
          file_check_reserved_lock,
          file_control,
          file_sector_size,
          file_device_characteristics,
          version >= 2 ? file_shm_map : nullptr,
          version >= 2 ? file_shm_lock : nullptr,
          version >= 2 ? file_shm_barrier : nullptr,
          version >= 2 ? file_shm_unmap : nullptr,
          version >= 3 ? file_fetch : nullptr,
          version >= 3 ? file_unfetch : nullptr};
}

constexpr sqlite3_io_methods methods[3] = {methods_of_version(1), methods_of_version(2),
                                           methods_of_version(3)};

// ---- the VFS: xOpen wraps the file; every other call goes to the wrapped VFS ---------------

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<counting_file*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  int rc = root->xOpen(root, name, file->real, flags, out_flags);
  // SQLite calls xClose whenever pMethods is set, even after a failed open: mirror the real file.
  const sqlite3_io_methods* real_methods = file->real->pMethods;
  if (real_methods == nullptr) {
    file->base.pMethods = nullptr;
  } else {
    const int version = std::clamp(real_methods->iVersion, 1, 3);
    file->base.pMethods = &methods[version - 1];
  }
  return rc;
}
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return root->xDelete(root, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return root->xAccess(root, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return root->xFullPathname(root, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) {
  return root->xDlOpen(root, name);
}
void vfs_dl_error(sqlite3_vfs*, int n, char* out) {
  root->xDlError(root, n, out);
}
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return root->xDlSym(root, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) {
  root->xDlClose(root, handle);
}
int vfs_randomness(sqlite3_vfs*, int n, char* out) {
  return root->xRandomness(root, n, out);
}
int vfs_sleep(sqlite3_vfs*, int microseconds) {
  return root->xSleep(root, microseconds);
}
int vfs_current_time(sqlite3_vfs*, double* out) {
  return root->xCurrentTime(root, out);
}
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) {
  return root->xGetLastError(root, n, out);
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return root->xCurrentTimeInt64(root, out);
}
int vfs_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
  return root->xSetSystemCall(root, name, p);
}
sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs*, const char* name) {
  return root->xGetSystemCall(root, name);
}
const char* vfs_next_system_call(sqlite3_vfs*, const char* name) {
  return root->xNextSystemCall(root, name);
}

void install() {
  root = sqlite3_vfs_find(nullptr);
  if (root == nullptr) {
    throw std::runtime_error("SQLite has no default VFS");
  }
  counting.iVersion = root->iVersion < 3 ? root->iVersion : 3;
  counting.szOsFile = static_cast<int>(sizeof(counting_file)) + root->szOsFile;
  counting.mxPathname = root->mxPathname;
  counting.zName = "im2k-counting";
  counting.xOpen = vfs_open;
  counting.xDelete = vfs_delete;
  counting.xAccess = vfs_access;
  counting.xFullPathname = vfs_full_pathname;
  counting.xDlOpen = root->xDlOpen ? vfs_dl_open : nullptr;
  counting.xDlError = root->xDlError ? vfs_dl_error : nullptr;
  counting.xDlSym = root->xDlSym ? vfs_dl_sym : nullptr;
  counting.xDlClose = root->xDlClose ? vfs_dl_close : nullptr;
  counting.xRandomness = vfs_randomness;
  counting.xSleep = vfs_sleep;
  counting.xCurrentTime = vfs_current_time;
  counting.xGetLastError = root->xGetLastError ? vfs_get_last_error : nullptr;
  if (counting.iVersion >= 2) {
    counting.xCurrentTimeInt64 = root->xCurrentTimeInt64 ? vfs_current_time_int64 : nullptr;
  }
  if (counting.iVersion >= 3) {
    counting.xSetSystemCall = root->xSetSystemCall ? vfs_set_system_call : nullptr;
    counting.xGetSystemCall = root->xGetSystemCall ? vfs_get_system_call : nullptr;
    counting.xNextSystemCall = root->xNextSystemCall ? vfs_next_system_call : nullptr;
  }
  expose_fsync_counts();
  if (int rc = sqlite3_vfs_register(&counting, 1); rc != SQLITE_OK) {
    throw std::runtime_error(std::string("cannot register the counting SQLite VFS: ") +
                             sqlite3_errstr(rc));
  }
}

}  // namespace

void install_counting_vfs() {
  static std::once_flag once;
  std::call_once(once, install);
}

}  // namespace im2k::store
