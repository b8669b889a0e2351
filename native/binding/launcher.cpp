// The traced process: a small executable, one per CPython installation (built with its addon, linked
// to its libpython), that runs the program under the tracer and exits with the program's status.
// run() (src/tracer/run.ts) spawns it; a Node process in its place cost about 70 ms more per run
// (Node's own start and module loading), most of the fixed cost of `pymemprof run` on short programs.
//
//   pymemprof-launch STATUS_FILE CAPTURE SAMPLE_BYTES LIBPYTHON EXECUTABLE -- ARG...
//
// CAPTURE may hold "{pid}", replaced by this process's pid (the traced program's). STATUS_FILE
// receives {"capture": PATH} before the program starts, or {"capture", "error", "code"} when tracing
// cannot start (status 1): the parent tells a program's own failure from the tracer's by it.
// Signal dispositions are the ones the parent handed down, as for the plain interpreter.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "../tracer/tracer.h"

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool write_status(const char* file, const std::string& json) {
  FILE* f = std::fopen(file, "w");
  if (f == nullptr) return false;
  bool ok = std::fwrite(json.data(), 1, json.size(), f) == json.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7 || std::strcmp(argv[6], "--") != 0) {
    std::fprintf(stderr, "usage: pymemprof-launch STATUS_FILE CAPTURE SAMPLE_BYTES LIBPYTHON EXECUTABLE -- ARG...\n");
    return 2;
  }
  const char* status_file = argv[1];
  pymemprof::RunOptions options;
  options.capture_path = argv[2];
  for (size_t at; (at = options.capture_path.find("{pid}")) != std::string::npos;)
    options.capture_path.replace(at, 5, std::to_string(getpid()));
  options.sample_bytes = std::strtoull(argv[3], nullptr, 10);
  options.libpython = argv[4];
  options.executable = argv[5];
  for (int i = 7; i < argc; i++) options.argv.emplace_back(argv[i]);

  const std::string capture = "{\"capture\":" + json_string(options.capture_path);
  if (!write_status(status_file, capture + "}")) {
    std::fprintf(stderr, "pymemprof: cannot write %s\n", status_file);
    return 1;
  }
  try {
    return pymemprof::run_traced(options);
  } catch (const std::exception& e) {
    write_status(status_file, capture + ",\"error\":" + json_string(e.what()) + ",\"code\":\"TRACER_START\"}");
    return 1;
  }
}
