// Large frames are written LZ4-compressed: a Frame whose body is `compressed` (field 8) holding the
// encoded Frame it stands for and that Frame's size. Record batches compress 3-8x (their columns
// repeat: the same kinds, threads, small time steps, stacks and address patterns over and over).
#pragma once
#include <cstddef>
#include <string>

namespace pymemprof {

// Frame bodies smaller than this are left as they are (tables of a few entries, the trailer).
constexpr size_t kCompressMinBytes = 512;

// Appends the length-prefixed frames of `in` to `out`: each body of at least kCompressMinBytes,
// except the header's (readers check the magic before anything else), as a compressed frame when
// that is smaller. `scratch` is reused between calls.
void compress_frames(const std::string& in, std::string& out, std::string& scratch);

}  // namespace pymemprof
