// The hot loop of the record-batch decoder (native counterpart of decodeColumns in
// src/capture/batch-decoder.ts, which locates the columns and explains what is wrong with a batch
// this refuses). Same arithmetic in doubles as the TypeScript, so values beyond 2^53 round alike.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../capture/address_model.h"

namespace pymemprof::reader {

struct ColumnsOut {
  uint8_t* kind;
  double* address;
  double* size;
  uint32_t* stack;
  uint32_t* thread;
  double* time_us;
};

// `at` holds [start, end) of RecordBatch fields 1..6 (kind, address_delta, size, stack, thread,
// time_delta_us) at indices 2f, 2f + 1, all within buf[0, buf_len). Decodes the n records whose kinds
// are in out.kind[o, o + n) into index o on. False when a column is malformed, has the wrong number
// of entries, or a value is out of range.
bool decode_columns(const uint8_t* buf, size_t buf_len, const int32_t at[14], double base_time_us, size_t o, size_t n,
                    const ColumnsOut& out);

// Format 3 (address model and time runs): `at` holds [start, end) of RecordBatch fields 1..11 at
// indices 2f, 2f + 1 (-1, -1 when absent; fields 2 and 6 must be). `model` carries the address
// model from the capture's earlier batches. Same results and refusals as the TypeScript decoder
// (src/capture/address-model.ts, batch-decoder.ts).
bool decode_columns_v3(const uint8_t* buf, size_t buf_len, const int32_t at[24], double base_time_us, size_t o, size_t n,
                       const ColumnsOut& out, address_model::Decoder& model);

}  // namespace pymemprof::reader
