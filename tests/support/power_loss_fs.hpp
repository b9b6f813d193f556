#pragma once

// A rocksdb::FileSystem over the real (POSIX) one that models a power cut,
// for durability tests: `kill -9` keeps the page cache, so only a model of
// what a disk keeps can tell a synced write from one that merely reached
// the OS.
//
// The model, per file written through this filesystem:
// - Append / PositionedAppend / Flush / RangeSync / Close put bytes in the
//   "page cache" only; only Sync and Fsync make them durable (the file's
//   synced length becomes its current length).
// - A file never Sync'd/Fsync'd disappears at the cut.
// - strict_dirs (the default): a file's directory entry (its creation, or
//   the new name after a rename) is durable only once its directory has
//   been fsynced after it appeared; otherwise the file disappears at the
//   cut, whatever was synced into it. Without strict_dirs a synced file's
//   entry counts as durable (what ext4's journal does in practice).
// - Deletions and the old name of a rename are durable at once (lenient:
//   a resurrected obsolete file is not modelled).
// - Files that existed before (not created through this filesystem) are
//   left alone; NewRandomRWFile is passed through unmodelled (RocksDB does
//   not use it for this store's files).
//
// Use: open the store with `file_system` set to this, write, cut_power(),
// close the store, restore_synced_state() (truncates each file to its
// synced length on the real disk, removes the ones that would not exist),
// then reopen the store on the real files.
//
// After the cut the process runs on, as in the instant before it dies with
// the machine, and nothing it does is kept: writes still reach the files
// (RocksDB reads back what it writes) but are cut off again by
// restore_synced_state(); new files are never synced, so they go; syncs,
// truncates, renames and deletes answer OK without happening. Failing them
// instead would model a disk error, not a power cut -- and Debian's RocksDB
// 7.8 is built with assertions: a WAL writer that saw an I/O error aborts
// the process when it is synced again (FlushWAL on close).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <rocksdb/file_system.h>

namespace herald::test {

/// What restore_synced_state() did.
struct power_loss_report {
  size_t files_kept = 0;      ///< tracked files left (maybe truncated)
  size_t files_truncated = 0; ///< kept but cut to their synced length
  size_t files_dropped = 0;   ///< removed: never synced / entry not synced
  uint64_t bytes_lost = 0;    ///< written but not durable, all files
};

class power_loss_fs : public rocksdb::FileSystemWrapper {
public:
  /// Tracking state of one file (shared with its open handles).
  struct file_state {
    uint64_t size = 0;         ///< bytes written
    uint64_t synced = 0;       ///< bytes durable
    bool ever_synced = false;  ///< a Sync/Fsync succeeded at least once
    bool entry_synced = false; ///< directory fsynced since it appeared
  };

  /// See the header comment for `strict_dirs`.
  explicit power_loss_fs(bool strict_dirs = true);

  const char* Name() const override { return "herald.power_loss_fs"; }

  /// From now on nothing written becomes durable (see above).
  void cut_power();
  bool power_is_off() const noexcept { return off_.load(); }

  /// The disk as it comes back after the cut (call once nothing uses the
  /// filesystem any more, i.e. after the store is closed).
  power_loss_report restore_synced_state();

  /// Successful Sync/Fsync calls on files, and directory fsyncs.
  uint64_t file_syncs() const noexcept { return file_syncs_.load(); }
  uint64_t dir_syncs() const noexcept { return dir_syncs_.load(); }

  rocksdb::IOStatus NewWritableFile(const std::string& f,
                                    const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus
  ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                     std::unique_ptr<rocksdb::FSWritableFile>* r,
                     rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus
  ReuseWritableFile(const std::string& f, const std::string& old,
                    const rocksdb::FileOptions& o,
                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& f,
                                    const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name,
                                 const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& f, size_t size,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& d, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& d,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteDir(const std::string& d, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override;

  // Used by the file and directory wrappers (power_loss_fs.cpp).
  /// IOError("power lost"): for what the model does not cover.
  rocksdb::IOStatus refused() const;
  std::mutex& mutex() { return mtx_; }
  void count_file_sync() { file_syncs_.fetch_add(1); }
  /// Marks every tracked file in `dir` as having a durable entry.
  void dir_synced(const std::string& dir);

private:
  std::shared_ptr<file_state> track_new(const std::string& f);

  bool strict_dirs_;
  std::atomic<bool> off_{false};
  std::atomic<uint64_t> file_syncs_{0};
  std::atomic<uint64_t> dir_syncs_{0};
  std::mutex mtx_;
  std::map<std::string, std::shared_ptr<file_state>> files_; // normal paths
};

} // namespace herald::test
