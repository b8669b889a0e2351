#include "sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pymemprof {

FileSink::FileSink(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot create capture file: " + std::strerror(errno));
}

FileSink::~FileSink() { close(); }

bool FileSink::write(const std::string& bytes) {
  if (fd_ < 0 || errno_ != 0) return false;
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      errno_ = n < 0 ? errno : ENOSPC;  // a write of 0 bytes for a non-empty buffer: no room
      // Drop the partial frame (a regular file; a device such as /dev/full cannot be truncated,
      // and there is nothing to drop then). The reader would skip it anyway.
      if (left != bytes.size() && ::ftruncate(fd_, static_cast<off_t>(size_)) == 0)
        (void)::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  size_ += bytes.size();
  return true;
}

std::string FileSink::error() const {
  if (errno_ == 0) return path_ + ": writing the capture failed";
  std::string why = std::strerror(errno_);
  if (!why.empty() && why[0] >= 'A' && why[0] <= 'Z' && !(why.size() > 1 && why[1] >= 'A' && why[1] <= 'Z'))
    why[0] = static_cast<char>(why[0] - 'A' + 'a');  // "No space left on device" -> "no space ..."
  return path_ + ": " + why;
}

void FileSink::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace pymemprof
