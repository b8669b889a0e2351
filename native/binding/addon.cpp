// The only file that speaks N-API: converts JavaScript options into the tracer's plain structs
// (TypeScript has validated them already) and maps C++ failures to JavaScript errors.
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../capture/compress.h"
#include "../capture/sink.h"
#include "../capture/wire.h"
#include "../tracer/tracer.h"

namespace {

std::vector<std::string> string_array(const Napi::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).ToString().Utf8Value());
  return out;
}

uint64_t to_u64(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (v.IsNumber()) return static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue());
  return 0;
}

template <typename T>
std::vector<T> number_array(const Napi::Value& v) {
  std::vector<T> out;
  if (!v.IsArray()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(static_cast<T>(a.Get(i).As<Napi::Number>().DoubleValue()));
  return out;
}

// run({libpython, executable, argv, capture}) -> exit status. Blocks until the program ends.
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Object o = info[0].As<Napi::Object>();
  pymemprof::RunOptions options;
  options.libpython = o.Get("libpython").ToString().Utf8Value();
  options.executable = o.Get("executable").ToString().Utf8Value();
  options.argv = string_array(o.Get("argv"));
  options.capture_path = o.Get("capture").ToString().Utf8Value();
  if (o.Has("sampleBytes") && o.Get("sampleBytes").IsNumber()) options.sample_bytes = to_u64(o.Get("sampleBytes"));
  try {
    return Napi::Number::New(info.Env(), pymemprof::run_traced(options));
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// Test-only: writes a capture from plain data with the same encoders the tracer uses, so the
// TypeScript reader can be checked record for record against the C++ writer.
Napi::Value WriteTestCapture(const Napi::CallbackInfo& info) {
  std::string path = info[0].ToString().Utf8Value();
  Napi::Object spec = info[1].As<Napi::Object>();
  std::string out;
  Napi::Object h = spec.Get("header").As<Napi::Object>();
  pymemprof::HeaderInfo header;
  header.python_version = h.Get("pythonVersion").ToString().Utf8Value();
  header.python_hexversion = static_cast<uint32_t>(to_u64(h.Get("pythonHexversion")));
  header.arena_size = static_cast<uint32_t>(to_u64(h.Get("arenaSize")));
  header.pool_size = static_cast<uint32_t>(to_u64(h.Get("poolSize")));
  header.alignment = static_cast<uint32_t>(to_u64(h.Get("alignment")));
  header.small_request_threshold = static_cast<uint32_t>(to_u64(h.Get("smallRequestThreshold")));
  header.pid = static_cast<uint32_t>(to_u64(h.Get("pid")));
  header.argv = string_array(h.Get("argv"));
  header.start_time_unix_us = to_u64(h.Get("startTimeUnixUs"));
  header.executable = h.Get("executable").ToString().Utf8Value();
  pymemprof::encode_header(header, out);

  if (spec.Has("codes")) {
    std::vector<pymemprof::CodeInfo> codes;
    auto a = spec.Get("codes").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      auto c = a.Get(i).As<Napi::Object>();
      pymemprof::CodeInfo ci;
      ci.id = static_cast<uint32_t>(to_u64(c.Get("id")));
      ci.name = c.Get("name").ToString().Utf8Value();
      ci.qualname = c.Get("qualname").ToString().Utf8Value();
      ci.filename = c.Get("filename").ToString().Utf8Value();
      ci.first_line = static_cast<uint32_t>(to_u64(c.Get("firstLine")));
      ci.line_starts = number_array<uint32_t>(c.Get("lineStarts"));
      ci.lines = number_array<int32_t>(c.Get("lines"));
      codes.push_back(std::move(ci));
    }
    pymemprof::encode_code_objects(codes, out);
  }
  if (spec.Has("nodes")) {
    std::vector<pymemprof::StackNode> nodes;
    auto a = spec.Get("nodes").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      auto n = a.Get(i).As<Napi::Object>();
      nodes.push_back({static_cast<uint32_t>(to_u64(n.Get("id"))), static_cast<uint32_t>(to_u64(n.Get("parent"))),
                       static_cast<uint32_t>(to_u64(n.Get("code"))), static_cast<uint32_t>(to_u64(n.Get("offset")))});
    }
    pymemprof::encode_stack_nodes(nodes, out);
  }
  if (spec.Has("threads")) {
    std::vector<pymemprof::ThreadInfo> threads;
    auto a = spec.Get("threads").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      auto t = a.Get(i).As<Napi::Object>();
      threads.push_back({static_cast<uint32_t>(to_u64(t.Get("id"))), to_u64(t.Get("nativeId")), t.Get("name").ToString().Utf8Value()});
    }
    pymemprof::encode_threads(threads, out);
  }
  if (spec.Has("marks")) {
    std::vector<pymemprof::MarkInfo> marks;
    auto a = spec.Get("marks").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      auto m = a.Get(i).As<Napi::Object>();
      marks.push_back({static_cast<uint32_t>(to_u64(m.Get("id"))), m.Get("name").ToString().Utf8Value()});
    }
    pymemprof::encode_marks(marks, out);
  }
  auto batches = spec.Get("batches").As<Napi::Array>();
  pymemprof::BatchEncoder encoder;  // one per capture: the address model runs through its batches
  for (uint32_t b = 0; b < batches.Length(); ++b) {
    auto records = batches.Get(b).As<Napi::Array>();
    for (uint32_t i = 0; i < records.Length(); ++i) {
      auto r = records.Get(i).As<Napi::Object>();
      pymemprof::RawRecord raw{};
      raw.kind = static_cast<pymemprof::RecordKind>(to_u64(r.Get("kind")));
      raw.address = to_u64(r.Get("address"));
      raw.size = to_u64(r.Get("size"));
      raw.stack = static_cast<uint32_t>(to_u64(r.Get("stack")));
      encoder.add(raw, static_cast<uint32_t>(to_u64(r.Get("thread"))), to_u64(r.Get("timeUs")));
    }
    encoder.finish(out);
  }
  if (spec.Has("trailer")) {
    auto t = spec.Get("trailer").As<Napi::Object>();
    pymemprof::TrailerInfo trailer;
    trailer.records = to_u64(t.Get("records"));
    trailer.allocations = to_u64(t.Get("allocations"));
    trailer.frees = to_u64(t.Get("frees"));
    trailer.duration_us = to_u64(t.Get("durationUs"));
    trailer.batches = to_u64(t.Get("batches"));
    pymemprof::encode_trailer(trailer, out);
  }
  if (spec.Has("compress") && spec.Get("compress").ToBoolean()) {  // as the writer thread writes them
    std::string packed, scratch;
    pymemprof::compress_frames(out, packed, scratch);
    out.swap(packed);
  }
  try {
    pymemprof::FileSink sink(path);
    if (!sink.write(out)) throw std::runtime_error(path + ": write failed");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return Napi::Number::New(info.Env(), static_cast<double>(out.size()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("writeTestCapture", Napi::Function::New(env, WriteTestCapture));
  exports.Set("pythonVersion", Napi::String::New(env, PYMEMPROF_PYTHON_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(pymemprof, Init)
