// The tracer: embeds the chosen libpython, wraps its allocators, keeps a shadow Python stack per
// thread and feeds records to a CaptureWriter. Needs Python's headers; knows nothing of N-API.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pymemprof {

struct RunOptions {
  std::string libpython;           // shared libpython to load globally before initialising
  std::string executable;          // sys.executable of the chosen interpreter (or virtualenv)
  std::vector<std::string> argv;   // interpreter arguments: {"script.py", ...}, {"-m", "mod", ...}, {"-c", "code", ...}
  std::string capture_path;
  uint64_t sample_bytes = 0;       // 0: record every allocation; N: Poisson sampling, one sample per N bytes on average
};

// Runs the program to completion under the tracer and returns its exit status, as the plain
// interpreter would. Throws std::runtime_error (one line) when tracing cannot start.
int run_traced(const RunOptions& options);

}  // namespace pymemprof
