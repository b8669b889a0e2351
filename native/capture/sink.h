// Where encoded frames go. The writer hands each sink whole frames, so a file cut short holds
// only complete frames plus at most one partial one.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace pymemprof {

class Sink {
 public:
  virtual ~Sink() = default;
  // Writes all bytes or returns false (e.g. disk full); the writer stops recording then.
  virtual bool write(const std::string& bytes) = 0;
  virtual void close() {}
  // After a failed write: what failed, one line without a trailing newline ("PATH: No space left
  // on device").
  virtual std::string error() const { return "writing the capture failed"; }
};

class FileSink : public Sink {
 public:
  // Throws std::runtime_error naming the path when it cannot be created.
  explicit FileSink(const std::string& path);
  ~FileSink() override;
  // On a failed write (ENOSPC, EFBIG, EIO...) the part of this write that did reach the file is cut
  // off again, so the file ends on a frame boundary, and every later write fails at once.
  bool write(const std::string& bytes) override;
  void close() override;
  std::string error() const override;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;  // bytes written so far: the end of the last complete write
  int errno_ = 0;      // of the failed write; 0 while none failed
};

class MemorySink : public Sink {
 public:
  bool write(const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    data_ += bytes;
    return true;
  }
  std::string data() {
    std::lock_guard<std::mutex> lock(mutex_);
    return data_;
  }

 private:
  std::mutex mutex_;
  std::string data_;
};

}  // namespace pymemprof
