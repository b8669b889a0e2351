// Where encoded frames go. The writer hands each sink whole frames, so a file cut short holds
// only complete frames plus at most one partial one.
#pragma once
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
};

class FileSink : public Sink {
 public:
  // Throws std::runtime_error naming the path when it cannot be created.
  explicit FileSink(const std::string& path);
  ~FileSink() override;
  bool write(const std::string& bytes) override;
  void close() override;

 private:
  int fd_ = -1;
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
