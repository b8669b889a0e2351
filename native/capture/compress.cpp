#include "compress.h"

#include <cstdint>

#include "../third_party/lz4/lz4.h"
#include "wire.h"

namespace pymemprof {
namespace {

constexpr uint32_t kHeaderField = 1;
constexpr uint32_t kCompressedField = 8;

// The varint at in[p] (p advanced past it); frames here were written by this process's encoders.
uint64_t read_varint(const std::string& in, size_t& p) {
  uint64_t v = 0;
  for (int shift = 0; p < in.size() && shift < 64; shift += 7) {
    uint8_t b = static_cast<uint8_t>(in[p++]);
    v |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  return v;
}

}  // namespace

void compress_frames(const std::string& in, std::string& out, std::string& scratch) {
  size_t p = 0;
  while (p < in.size()) {
    size_t start = p;
    uint64_t len = read_varint(in, p);
    size_t body = p;
    size_t end = body + static_cast<size_t>(len);
    if (end > in.size()) end = in.size();  // never: the encoders write whole frames
    size_t tag_end = body;
    uint64_t field = len > 0 ? read_varint(in, tag_end) >> 3 : 0;
    int raw = static_cast<int>(end - body);
    if (raw < static_cast<int>(kCompressMinBytes) || field == kHeaderField || field == kCompressedField ||
        end - body > size_t(LZ4_MAX_INPUT_SIZE)) {
      out.append(in, start, end - start);
      p = end;
      continue;
    }
    scratch.resize(static_cast<size_t>(LZ4_compressBound(raw)));
    int packed = LZ4_compress_default(in.data() + body, &scratch[0], raw, static_cast<int>(scratch.size()));
    // Compressed { raw_size = 1; lz4 = 2 } inside Frame field 8.
    ProtoBuffer inner;
    inner.uint_field(1, static_cast<uint64_t>(raw));
    inner.tag(2, 2);
    inner.varint(static_cast<uint64_t>(packed));
    size_t inner_size = inner.size() + static_cast<size_t>(packed);
    ProtoBuffer head;
    head.tag(kCompressedField, 2);
    head.varint(inner_size);
    size_t frame_size = head.size() + inner_size;
    if (packed <= 0 || frame_size >= static_cast<size_t>(raw)) {
      out.append(in, start, end - start);  // incompressible: as it is
      p = end;
      continue;
    }
    ProtoBuffer prefix;
    prefix.varint(frame_size);
    out.append(prefix.bytes());
    out.append(head.bytes());
    out.append(inner.bytes());
    out.append(scratch.data(), static_cast<size_t>(packed));
    p = end;
  }
}

}  // namespace pymemprof
