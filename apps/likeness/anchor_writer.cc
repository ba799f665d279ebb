#include "anchor_writer.h"

#include <cstdio>

#include "privacy/key_folder.h"

namespace likeness::cli {
namespace fs = std::filesystem;

Result<std::unique_ptr<AnchorWriter>> AnchorWriter::Start(const fs::path& data_dir,
                                                          const fs::path& dir,
                                                          std::chrono::seconds every,
                                                          Publish publish) {
  if (every.count() <= 0) return Status::InvalidArgument("--anchor-every must be positive");
  if (privacy::IsInside(dir, data_dir)) {
    return Status::InvalidArgument("--anchor-dir " + dir.string() +
                                   " must be outside the data folder " + data_dir.string());
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  std::unique_ptr<AnchorWriter> w(new AnchorWriter());
  w->data_dir_ = data_dir;
  w->dir_ = dir;
  w->every_ = every;
  w->publish_ = std::move(publish);
  ASSIGN_OR_RETURN(const privacy::KeyFolder keys, privacy::OpenKeyFolder(data_dir));
  w->instance_id_ = keys.instance_id;
  ASSIGN_OR_RETURN(w->log_, privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(data_dir)));
  AnchorWriter* self = w.get();
  w->thread_ = std::thread([self] {
    std::unique_lock lock(self->mu_);
    while (!self->stop_) {
      lock.unlock();
      self->WriteOnce();
      lock.lock();
      self->cv_.wait_for(lock, self->every_, [self] { return self->stop_; });
    }
  });
  return w;
}

AnchorWriter::~AnchorWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  WriteOnce();  // the head as the server leaves it
}

void AnchorWriter::WriteOnce() {
  auto last = log_->LastSeq();
  if (!last.ok() || *last == 0 || *last == last_seq_) return;  // empty, or nothing new
  auto anchor = privacy::MakeAnchor(*log_, instance_id_);
  Status st = anchor.ok() ? privacy::WriteAnchorFile(
                                *anchor, dir_ / privacy::AnchorFileName(*anchor), data_dir_)
                          : anchor.status();
  if (st.ok() && publish_) st = publish_(*anchor);
  if (!st.ok()) {
    std::fprintf(stderr, "likeness: audit anchor not written: %s\n", st.ToString().c_str());
    return;
  }
  last_seq_ = anchor->seq;
}

}  // namespace likeness::cli
