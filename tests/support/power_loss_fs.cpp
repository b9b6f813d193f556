#include "tests/support/power_loss_fs.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

namespace herald::test {

namespace {

namespace fs = std::filesystem;

std::string normal(const std::string& p) {
  return fs::path{p}.lexically_normal().string();
}

std::string parent_of(const std::string& p) {
  return fs::path{p}.lexically_normal().parent_path().string();
}

/// What the disk answers after the cut to a sync, truncate, rename or
/// delete: "done", without doing it (the process cannot tell yet).
rocksdb::IOStatus forgotten() {
  return rocksdb::IOStatus::OK();
}

/// A file being written: counts what it writes and what it syncs.
class tracked_file : public rocksdb::FSWritableFileOwnerWrapper {
public:
  tracked_file(std::unique_ptr<rocksdb::FSWritableFile> target,
               power_loss_fs* owner,
               std::shared_ptr<power_loss_fs::file_state> state)
      : FSWritableFileOwnerWrapper(std::move(target)), owner_(owner),
        state_(std::move(state)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    auto st = target()->Append(data, o, dbg);
    if (st.ok())
      grow_to(std::nullopt, data.size());
    return st;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    auto st = target()->Append(data, o, info, dbg);
    if (st.ok())
      grow_to(std::nullopt, data.size());
    return st;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override {
    auto st = target()->PositionedAppend(data, offset, o, dbg);
    if (st.ok())
      grow_to(offset, data.size());
    return st;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    auto st = target()->PositionedAppend(data, offset, o, info, dbg);
    if (st.ok())
      grow_to(offset, data.size());
    return st;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
    if (owner_->power_is_off())
      return forgotten();
    auto st = target()->Truncate(size, o, dbg);
    if (st.ok()) {
      std::lock_guard guard{owner_->mutex()};
      state_->size = size;
      if (state_->synced > size)
        state_->synced = size;
    }
    return st;
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return target()->Flush(o, dbg);
  }
  // RangeSync (sync_file_range) starts write-back but guarantees nothing:
  // not counted as durable.
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t n,
                              const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override {
    return target()->RangeSync(offset, n, o, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    if (owner_->power_is_off())
      return forgotten();
    return synced(target()->Sync(o, dbg));
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    if (owner_->power_is_off())
      return forgotten();
    return synced(target()->Fsync(o, dbg));
  }
  rocksdb::IOStatus Allocate(uint64_t offset, uint64_t len,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
    return target()->Allocate(offset, len, o, dbg);
  }

private:
  void grow_to(std::optional<uint64_t> offset, size_t n) {
    std::lock_guard guard{owner_->mutex()};
    if (offset)
      state_->size = std::max(state_->size, *offset + n);
    else
      state_->size += n;
  }

  rocksdb::IOStatus synced(rocksdb::IOStatus st) {
    if (!st.ok())
      return st;
    std::lock_guard guard{owner_->mutex()};
    // A sync still running when the power went is not durable.
    if (owner_->power_is_off())
      return forgotten();
    state_->synced = state_->size;
    state_->ever_synced = true;
    owner_->count_file_sync();
    return st;
  }

  power_loss_fs* owner_;
  std::shared_ptr<power_loss_fs::file_state> state_;
};

class tracked_dir : public rocksdb::FSDirectoryWrapper {
public:
  tracked_dir(std::unique_ptr<rocksdb::FSDirectory> target,
              power_loss_fs* owner, std::string name)
      : FSDirectoryWrapper(std::move(target)), owner_(owner),
        name_(std::move(name)) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    if (owner_->power_is_off())
      return forgotten();
    return done(FSDirectoryWrapper::Fsync(o, dbg));
  }
  rocksdb::IOStatus
  FsyncWithDirOptions(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg,
                      const rocksdb::DirFsyncOptions& opts) override {
    if (owner_->power_is_off())
      return forgotten();
    return done(FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, opts));
  }

private:
  rocksdb::IOStatus done(rocksdb::IOStatus st) {
    if (st.ok())
      owner_->dir_synced(name_);
    return st;
  }

  power_loss_fs* owner_;
  std::string name_;
};

} // namespace

power_loss_fs::power_loss_fs(bool strict_dirs)
    : FileSystemWrapper(rocksdb::FileSystem::Default()),
      strict_dirs_(strict_dirs) {
  // nop
}

void power_loss_fs::cut_power() {
  std::lock_guard guard{mtx_};
  off_ = true;
}

rocksdb::IOStatus power_loss_fs::refused() const {
  return rocksdb::IOStatus::IOError("power lost");
}

std::shared_ptr<power_loss_fs::file_state>
power_loss_fs::track_new(const std::string& f) {
  auto state = std::make_shared<file_state>();
  std::lock_guard guard{mtx_};
  files_[normal(f)] = state;
  return state;
}

void power_loss_fs::dir_synced(const std::string& dir) {
  auto d = normal(dir);
  std::lock_guard guard{mtx_};
  if (off_)
    return;
  dir_syncs_.fetch_add(1);
  for (auto& [path, state] : files_)
    if (parent_of(path) == d)
      state->entry_synced = true;
}

rocksdb::IOStatus power_loss_fs::NewWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  auto st = target()->NewWritableFile(f, o, &file, dbg);
  if (!st.ok())
    return st;
  *r = std::make_unique<tracked_file>(std::move(file), this, track_new(f));
  return st;
}

rocksdb::IOStatus power_loss_fs::ReopenWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  auto st = target()->ReopenWritableFile(f, o, &file, dbg);
  if (!st.ok())
    return st;
  std::shared_ptr<file_state> state;
  {
    std::lock_guard guard{mtx_};
    auto& slot = files_[normal(f)];
    if (!slot) {
      // Existed before: what is on disk is durable.
      slot = std::make_shared<file_state>();
      std::error_code ec;
      auto size = fs::file_size(f, ec);
      slot->size = slot->synced = ec ? 0 : size;
      slot->ever_synced = slot->entry_synced = true;
    }
    state = slot;
  }
  *r = std::make_unique<tracked_file>(std::move(file), this, std::move(state));
  return st;
}

rocksdb::IOStatus power_loss_fs::ReuseWritableFile(
    const std::string&, const std::string&, const rocksdb::FileOptions&,
    std::unique_ptr<rocksdb::FSWritableFile>*, rocksdb::IODebugContext*) {
  return rocksdb::IOStatus::NotSupported("power_loss_fs: no file reuse");
}

rocksdb::IOStatus power_loss_fs::NewRandomRWFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSRandomRWFile>* r, rocksdb::IODebugContext* dbg) {
  if (power_is_off())
    return refused(); // unmodelled (unused by the store)
  return target()->NewRandomRWFile(f, o, r, dbg);
}

rocksdb::IOStatus power_loss_fs::NewDirectory(
    const std::string& name, const rocksdb::IOOptions& o,
    std::unique_ptr<rocksdb::FSDirectory>* r, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  auto st = target()->NewDirectory(name, o, &dir, dbg);
  if (st.ok())
    *r = std::make_unique<tracked_dir>(std::move(dir), this, name);
  return st;
}

rocksdb::IOStatus power_loss_fs::DeleteFile(const std::string& f,
                                            const rocksdb::IOOptions& o,
                                            rocksdb::IODebugContext* dbg) {
  if (power_is_off())
    return forgotten();
  auto st = target()->DeleteFile(f, o, dbg);
  if (st.ok()) {
    std::lock_guard guard{mtx_};
    files_.erase(normal(f));
  }
  return st;
}

rocksdb::IOStatus power_loss_fs::RenameFile(const std::string& src,
                                            const std::string& dst,
                                            const rocksdb::IOOptions& o,
                                            rocksdb::IODebugContext* dbg) {
  if (power_is_off())
    return forgotten();
  auto st = target()->RenameFile(src, dst, o, dbg);
  if (!st.ok())
    return st;
  std::lock_guard guard{mtx_};
  auto i = files_.find(normal(src));
  if (i == files_.end()) {
    files_.erase(normal(dst)); // an untracked file now has that name
    return st;
  }
  auto state = std::move(i->second);
  files_.erase(i);
  state->entry_synced = false; // the new name is a new directory entry
  files_[normal(dst)] = std::move(state);
  return st;
}

rocksdb::IOStatus power_loss_fs::LinkFile(const std::string&,
                                          const std::string&,
                                          const rocksdb::IOOptions&,
                                          rocksdb::IODebugContext*) {
  return rocksdb::IOStatus::NotSupported("power_loss_fs: no hard links");
}

rocksdb::IOStatus power_loss_fs::Truncate(const std::string& f, size_t size,
                                          const rocksdb::IOOptions& o,
                                          rocksdb::IODebugContext* dbg) {
  if (power_is_off())
    return forgotten();
  auto st = target()->Truncate(f, size, o, dbg);
  if (st.ok()) {
    std::lock_guard guard{mtx_};
    if (auto i = files_.find(normal(f)); i != files_.end()) {
      i->second->size = size;
      if (i->second->synced > size)
        i->second->synced = size;
    }
  }
  return st;
}

rocksdb::IOStatus power_loss_fs::CreateDir(const std::string& d,
                                           const rocksdb::IOOptions& o,
                                           rocksdb::IODebugContext* dbg) {
  return target()->CreateDir(d, o, dbg);
}

rocksdb::IOStatus
power_loss_fs::CreateDirIfMissing(const std::string& d,
                                  const rocksdb::IOOptions& o,
                                  rocksdb::IODebugContext* dbg) {
  return target()->CreateDirIfMissing(d, o, dbg);
}

rocksdb::IOStatus power_loss_fs::DeleteDir(const std::string& d,
                                           const rocksdb::IOOptions& o,
                                           rocksdb::IODebugContext* dbg) {
  return target()->DeleteDir(d, o, dbg);
}

power_loss_report power_loss_fs::restore_synced_state() {
  power_loss_report out;
  std::lock_guard guard{mtx_};
  for (auto& [path, state] : files_) {
    std::error_code ec;
    auto on_disk = fs::file_size(path, ec);
    if (ec)
      continue; // already gone
    bool lost = !state->ever_synced || (strict_dirs_ && !state->entry_synced);
    if (lost) {
      fs::remove(path, ec);
      ++out.files_dropped;
      out.bytes_lost += on_disk;
      continue;
    }
    ++out.files_kept;
    if (on_disk > state->synced) {
      fs::resize_file(path, state->synced, ec);
      ++out.files_truncated;
      out.bytes_lost += on_disk - state->synced;
    }
  }
  files_.clear();
  return out;
}

} // namespace herald::test
