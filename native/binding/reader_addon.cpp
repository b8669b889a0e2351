// The report passes' native kernels for Node (pymemprof_reader.node): no libpython, so the report
// commands can use it on any machine that built it. Only this file speaks N-API; the passes in
// native/reader/ take plain columns. TypeScript (src/analysis/native-passes.ts) owns the arrays and
// checks the shapes; the checks here only keep a wrong call from reading out of bounds.
#include <napi.h>

#include <cstring>
#include <memory>

#include "../reader/arena_timeline.h"
#include "../reader/decode_columns.h"
#include "../reader/lz4_block.h"
#include "../reader/report_pass.h"
#include "../reader/row_stage.h"
#include "../reader/stats_pass.h"

namespace {

using pymemprof::reader::Columns;

// The typed array's elements (also over a SharedArrayBuffer: the reader's worker decodes into those,
// which Napi::ArrayBuffer does not accept).
template <typename T>
const T* typed(const Napi::Value& v, napi_typedarray_type type, size_t count, const char* name) {
  napi_typedarray_type actual;
  size_t length = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() ||
      napi_get_typedarray_info(v.Env(), v, &actual, &length, &data, nullptr, nullptr) != napi_ok || actual != type)
    throw Napi::TypeError::New(v.Env(), std::string("pymemprof reader: ") + name + " has the wrong array type");
  if (length < count)
    throw Napi::RangeError::New(v.Env(), std::string("pymemprof reader: ") + name + " is shorter than the record count");
  return static_cast<const T*>(data);
}

// (kind, address, size, stack, timeUs, count) → Columns.
Columns columns(const Napi::CallbackInfo& info) {
  double n = info[5].As<Napi::Number>().DoubleValue();
  if (!(n >= 0 && n <= 4294967295.0)) throw Napi::RangeError::New(info.Env(), "pymemprof reader: bad record count");
  size_t count = static_cast<size_t>(n);
  return Columns{
      typed<uint8_t>(info[0], napi_uint8_array, count, "kind"),
      typed<double>(info[1], napi_float64_array, count, "address"),
      typed<double>(info[2], napi_float64_array, count, "size"),
      typed<uint32_t>(info[3], napi_uint32_array, count, "stack"),
      typed<double>(info[4], napi_float64_array, count, "timeUs"),
      count,
  };
}

template <typename T>
Napi::Value copy_out(Napi::Env env, const T* data, size_t n) {
  if constexpr (std::is_same_v<T, double>) {
    auto out = Napi::Float64Array::New(env, n);
    if (n) std::memcpy(out.Data(), data, n * sizeof(T));
    return out;
  } else if constexpr (std::is_same_v<T, uint32_t>) {
    auto out = Napi::Uint32Array::New(env, n);
    if (n) std::memcpy(out.Data(), data, n * sizeof(T));
    return out;
  } else {
    auto out = Napi::Uint16Array::New(env, n);
    if (n) std::memcpy(out.Data(), data, n * sizeof(T));
    return out;
  }
}

class StatsPassWrap : public Napi::ObjectWrap<StatsPassWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "StatsPass",
                       {InstanceMethod("add", &StatsPassWrap::Add), InstanceMethod("figures", &StatsPassWrap::Figures),
                        InstanceMethod("nodes", &StatsPassWrap::Nodes)});
  }
  explicit StatsPassWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StatsPassWrap>(info) {}

 private:
  // add(kind, address, size, stack, timeUs, count, maxNodeId)
  void Add(const Napi::CallbackInfo& info) {
    Columns c = columns(info);
    pass_.add(c, info[6].As<Napi::Number>().Uint32Value());
  }
  // [allocations, frees, resizes, records, unknownFrees, unknownStacks, totalAllocated, liveBytes,
  //  liveBlocks, peakBytes, peakTimeUs, lastTimeUs, peakGeneration]
  Napi::Value Figures(const Napi::CallbackInfo& info) {
    const auto& f = pass_.figures();
    double v[] = {f.allocations,    f.frees,      f.resizes,    f.records,
                  f.unknown_frees,  f.unknown_stacks, f.total_allocated, f.live_bytes,
                  static_cast<double>(pass_.live_blocks()), f.peak_bytes, f.peak_time_us, f.last_time_us, f.peak_gen};
    return copy_out(info.Env(), v, sizeof v / sizeof v[0]);
  }
  Napi::Value Nodes(const Napi::CallbackInfo& info) {
    return copy_out(info.Env(), pass_.nodes().data(), pass_.nodes().size());
  }
  pymemprof::reader::StatsPass pass_;
};

class ReportPassWrap : public Napi::ObjectWrap<ReportPassWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ReportPass",
                       {InstanceMethod("add", &ReportPassWrap::Add), InstanceMethod("finish", &ReportPassWrap::Finish),
                        InstanceMethod("figures", &ReportPassWrap::Figures), InstanceMethod("marks", &ReportPassWrap::Marks),
                        InstanceMethod("rowTemporary", &ReportPassWrap::RowTemporary),
                        InstanceMethod("timeline", &ReportPassWrap::Timeline),
                        InstanceMethod("temporal", &ReportPassWrap::Temporal)});
  }
  // new ReportPass(temporaryThreshold)
  explicit ReportPassWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<ReportPassWrap>(info), pass_(info[0].As<Napi::Number>().DoubleValue()) {}

 private:
  // add(kind, address, size, rows, timeUs, count)
  void Add(const Napi::CallbackInfo& info) { pass_.add(columns(info)); }
  void Finish(const Napi::CallbackInfo&) { pass_.finish(); }
  // [records, allocations so far, frees, unknownFrees, liveBytes, peakBytes, peakTimeUs, lastTimeUs, liveBlocks]
  Napi::Value Figures(const Napi::CallbackInfo& info) {
    const auto& f = pass_.figures();
    double v[] = {f.records,    f.alloc_index,  f.frees,        f.unknown_frees, f.live_bytes,
                  f.peak_bytes, f.peak_time_us, f.last_time_us, static_cast<double>(pass_.live_blocks())};
    return copy_out(info.Env(), v, sizeof v / sizeof v[0]);
  }
  // Float64Array of (id, timeUs) pairs.
  Napi::Value Marks(const Napi::CallbackInfo& info) {
    const auto& m = pass_.marks();
    return copy_out(info.Env(), reinterpret_cast<const double*>(m.data()), m.size() * 2);
  }
  // Per row at 2 * row: temporary bytes, count (as many rows as kept; the rest are 0).
  Napi::Value RowTemporary(const Napi::CallbackInfo& info) {
    return copy_out(info.Env(), pass_.row_temporary().data(), pass_.row_temporary().size());
  }
  Napi::Value Timeline(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = Napi::Object::New(env);
    size_t n = static_cast<size_t>(pass_.buckets());
    out.Set("widthUs", pass_.width_us());
    out.Set("peak", copy_out(env, pass_.bucket_peak(), n));
    out.Set("end", copy_out(env, pass_.bucket_end(), n));
    out.Set("peakIdx", copy_out(env, pass_.bucket_peak_index(), n));
    return out;
  }
  Napi::Value Temporal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& t = pass_.temporal();
    auto out = Napi::Object::New(env);
    out.Set("row", copy_out(env, t.row.data(), t.row.size()));
    out.Set("ap", copy_out(env, t.ap.data(), t.ap.size()));
    out.Set("fp", copy_out(env, t.fp.data(), t.fp.size()));
    out.Set("bytes", copy_out(env, t.bytes.data(), t.bytes.size()));
    out.Set("count", copy_out(env, t.count.data(), t.count.size()));
    out.Set("length", static_cast<double>(t.row.size()));
    return out;
  }
  pymemprof::reader::ReportPass pass_;
};

class RowStageWrap : public Napi::ObjectWrap<RowStageWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RowStage", {InstanceMethod("batch", &RowStageWrap::Batch), InstanceMethod("result", &RowStageWrap::Result)});
  }
  explicit RowStageWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RowStageWrap>(info) {}

 private:
  // batch(kind, size, stack, thread, count, maxNodeId, rowOut)
  void Batch(const Napi::CallbackInfo& info) {
    double n = info[4].As<Napi::Number>().DoubleValue();
    if (!(n >= 0 && n <= 4294967295.0)) throw Napi::RangeError::New(info.Env(), "pymemprof reader: bad record count");
    size_t count = static_cast<size_t>(n);
    stage_.batch(typed<uint8_t>(info[0], napi_uint8_array, count, "kind"), typed<double>(info[1], napi_float64_array, count, "size"),
                 typed<uint32_t>(info[2], napi_uint32_array, count, "stack"), typed<uint32_t>(info[3], napi_uint32_array, count, "thread"),
                 count, info[5].As<Napi::Number>().Uint32Value(),
                 const_cast<uint32_t*>(typed<uint32_t>(info[6], napi_uint32_array, count, "rowOut")));
  }
  // A RowStageState (src/analysis/row-stage.ts).
  Napi::Value Result(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = Napi::Object::New(env);
    size_t rows = stage_.rows();
    out.Set("rowCount", static_cast<double>(rows));
    out.Set("rowStack", copy_out(env, stage_.row_stack().data(), rows));
    out.Set("rowThread", copy_out(env, stage_.row_thread().data(), rows));
    out.Set("totals", copy_out(env, stage_.totals().data(), 2 * rows));
    out.Set("sizeHistogram", copy_out(env, stage_.histogram(), 64));
    auto count = Napi::Array::New(env, 3);
    auto bytes = Napi::Array::New(env, 3);
    for (uint32_t d = 0; d < 3; d++) {
      count.Set(d, stage_.domain_count()[d]);
      bytes.Set(d, stage_.domain_bytes()[d]);
    }
    out.Set("domainCount", count);
    out.Set("domainBytes", bytes);
    out.Set("allocations", stage_.allocations);
    out.Set("resizes", stage_.resizes);
    out.Set("totalAllocated", stage_.total_allocated);
    out.Set("unknownStacks", stage_.unknown_stacks);
    return out;
  }
  pymemprof::reader::RowStage stage_;
};

class ArenaTimelineWrap : public Napi::ObjectWrap<ArenaTimelineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ArenaTimelinePass",
                       {InstanceMethod("batch", &ArenaTimelineWrap::Batch), InstanceMethod("result", &ArenaTimelineWrap::Result)});
  }
  // new ArenaTimelinePass(arenaSize, poolSize, alignment, smallRequestThreshold, fixedWidthUs, fixedBuckets)
  explicit ArenaTimelineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ArenaTimelineWrap>(info) {
    auto num = [&](int i) { return info[i].As<Napi::Number>().DoubleValue(); };
    pymemprof::reader::PymallocGeometry g{num(0), num(1), num(2), num(3)};
    // The TypeScript ArenaModel has validated the geometry; these keep a wrong call harmless.
    if (!(g.arena_size > 0 && g.pool_size >= 64 && g.alignment >= 8 && g.small_request_threshold >= g.alignment &&
          g.arena_size <= 1e12 && g.arena_size / g.pool_size <= 4096 && g.small_request_threshold / g.alignment <= 128 && num(5) <= 1e6))
      throw Napi::RangeError::New(info.Env(), "pymemprof reader: unusable pymalloc geometry");
    pass_ = std::make_unique<pymemprof::reader::ArenaTimelinePass>(g, num(4), static_cast<int>(num(5)));
  }

 private:
  // batch(kind, address, size, timeUs, count)
  void Batch(const Napi::CallbackInfo& info) {
    double n = info[4].As<Napi::Number>().DoubleValue();
    if (!(n >= 0 && n <= 4294967295.0)) throw Napi::RangeError::New(info.Env(), "pymemprof reader: bad record count");
    size_t count = static_cast<size_t>(n);
    pass_->batch(typed<uint8_t>(info[0], napi_uint8_array, count, "kind"), typed<double>(info[1], napi_float64_array, count, "address"),
                 typed<double>(info[2], napi_float64_array, count, "size"), typed<double>(info[3], napi_float64_array, count, "timeUs"),
                 count);
  }
  // Closes the buckets; {widthUs, buckets, capacity, classes, anomalies, arenasMax, arenasEnd, poolsEnd,
  // pools, blocks} (pools and blocks: class c, bucket k at c * capacity + k).
  Napi::Value Result(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pass_->finish();
    auto out = Napi::Object::New(env);
    size_t n = static_cast<size_t>(pass_->buckets());
    out.Set("widthUs", pass_->width_us());
    out.Set("buckets", static_cast<double>(n));
    out.Set("capacity", static_cast<double>(pass_->capacity()));
    out.Set("classes", static_cast<double>(pass_->classes()));
    out.Set("anomalies", pass_->anomalies());
    out.Set("arenasMax", copy_out(env, pass_->arenas_max().data(), n));
    out.Set("arenasEnd", copy_out(env, pass_->arenas_end().data(), n));
    out.Set("poolsEnd", copy_out(env, pass_->pools_end().data(), n));
    out.Set("pools", copy_out(env, pass_->pools().data(), pass_->pools().size()));
    out.Set("blocks", copy_out(env, pass_->blocks().data(), pass_->blocks().size()));
    return out;
  }
  std::unique_ptr<pymemprof::reader::ArenaTimelinePass> pass_;
};

// The arguments of decodeColumns and ModelDecoder.decode: (buf, at, baseTimeUs, o, n, kind, address,
// size, stack, thread, timeUs), `at` of at_len entries.
struct ColumnsCall {
  const uint8_t* buf;
  size_t buf_len;
  const int32_t* at;
  double base_time_us;
  size_t o, n;
  pymemprof::reader::ColumnsOut out;
};

ColumnsCall columns_call(const Napi::CallbackInfo& info, size_t at_len) {
  Napi::Env env = info.Env();
  double o = info[3].As<Napi::Number>().DoubleValue();
  double n = info[4].As<Napi::Number>().DoubleValue();
  if (!(o >= 0 && n >= 0 && o + n <= 4294967295.0)) throw Napi::RangeError::New(env, "pymemprof reader: bad record range");
  size_t end = static_cast<size_t>(o + n);
  napi_typedarray_type type;
  size_t buf_len = 0;
  void* buf = nullptr;
  if (!info[0].IsTypedArray() || napi_get_typedarray_info(env, info[0], &type, &buf_len, &buf, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    throw Napi::TypeError::New(env, "pymemprof reader: buf has the wrong array type");
  return ColumnsCall{
      static_cast<const uint8_t*>(buf),
      buf_len,
      typed<int32_t>(info[1], napi_int32_array, at_len, "at"),
      info[2].As<Napi::Number>().DoubleValue(),
      static_cast<size_t>(o),
      static_cast<size_t>(n),
      pymemprof::reader::ColumnsOut{
          const_cast<uint8_t*>(typed<uint8_t>(info[5], napi_uint8_array, end, "kind")),
          const_cast<double*>(typed<double>(info[6], napi_float64_array, end, "address")),
          const_cast<double*>(typed<double>(info[7], napi_float64_array, end, "size")),
          const_cast<uint32_t*>(typed<uint32_t>(info[8], napi_uint32_array, end, "stack")),
          const_cast<uint32_t*>(typed<uint32_t>(info[9], napi_uint32_array, end, "thread")),
          const_cast<double*>(typed<double>(info[10], napi_float64_array, end, "timeUs")),
      },
  };
}

// decodeColumns(buf, at, baseTimeUs, o, n, kind, address, size, stack, thread, timeUs): false when
// the batch is malformed (the TypeScript decoder then says how).
Napi::Value DecodeColumns(const Napi::CallbackInfo& info) {
  ColumnsCall c = columns_call(info, 14);
  return Napi::Boolean::New(info.Env(), pymemprof::reader::decode_columns(c.buf, c.buf_len, c.at, c.base_time_us, c.o, c.n, c.out));
}

// new ModelDecoder(); decode(buf, at, baseTimeUs, o, n, kind, address, size, stack, thread, timeUs):
// format-3 batches of one capture, in order (src/analysis/native-passes.ts).
class ModelDecoderWrap : public Napi::ObjectWrap<ModelDecoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ModelDecoder", {InstanceMethod("decode", &ModelDecoderWrap::Decode)});
  }
  explicit ModelDecoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelDecoderWrap>(info) {}

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    ColumnsCall c = columns_call(info, 24);
    return Napi::Boolean::New(info.Env(), pymemprof::reader::decode_columns_v3(c.buf, c.buf_len, c.at, c.base_time_us, c.o, c.n, c.out, model_));
  }
  pymemprof::address_model::Decoder model_;
};

// lz4DecodeBlock(src, s, sEnd, dst, dstLen): as src/capture/lz4.ts.
Napi::Value Lz4DecodeBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_typedarray_type type;
  size_t src_len = 0, dst_cap = 0;
  void* src = nullptr;
  void* dst = nullptr;
  if (!info[0].IsTypedArray() || napi_get_typedarray_info(env, info[0], &type, &src_len, &src, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array || !info[3].IsTypedArray() ||
      napi_get_typedarray_info(env, info[3], &type, &dst_cap, &dst, nullptr, nullptr) != napi_ok || type != napi_uint8_array)
    throw Napi::TypeError::New(env, "pymemprof reader: lz4DecodeBlock takes Uint8Arrays");
  double s = info[1].As<Napi::Number>().DoubleValue();
  double s_end = info[2].As<Napi::Number>().DoubleValue();
  double dst_len = info[4].As<Napi::Number>().DoubleValue();
  if (!(s >= 0 && s <= s_end && s_end <= static_cast<double>(src_len) && dst_len >= 0 && dst_len <= static_cast<double>(dst_cap)))
    throw Napi::RangeError::New(env, "pymemprof reader: lz4DecodeBlock range out of bounds");
  int64_t n = pymemprof::reader::lz4_decode_block(static_cast<const uint8_t*>(src) + static_cast<size_t>(s),
                                                  static_cast<size_t>(s_end - s), static_cast<uint8_t*>(dst),
                                                  static_cast<size_t>(dst_len));
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("lz4DecodeBlock", Napi::Function::New(env, Lz4DecodeBlock, "lz4DecodeBlock"));
  exports.Set("RowStage", RowStageWrap::Define(env));
  exports.Set("ArenaTimelinePass", ArenaTimelineWrap::Define(env));
  exports.Set("decodeColumns", Napi::Function::New(env, DecodeColumns, "decodeColumns"));
  exports.Set("ModelDecoder", ModelDecoderWrap::Define(env));
  exports.Set("StatsPass", StatsPassWrap::Define(env));
  exports.Set("ReportPass", ReportPassWrap::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(pymemprof_reader, Init)
