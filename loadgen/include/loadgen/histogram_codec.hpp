// HdrHistogram's compressed histogram encoding, version 2, as its libraries write and read it
// (Java encodeIntoCompressedByteBuffer, HdrHistogram_c hdr_log_encode, Python hdrh's
// HdrHistogram.encode), so that a histogram can travel in a report and be read back by
// `loadgen merge` or by any HdrHistogram tool.
//
// The bytes, integers big-endian:
//   int32 compression cookie 0x1c849314, int32 length of the zlib stream that follows;
//   zlib-compressed: int32 encoding cookie 0x1c849313, int32 payload length, int32
//   normalizing index offset (0), int32 significant figures, int64 lowest trackable value,
//   int64 highest trackable value, float64 bits of the integer-to-double ratio (1.0), then the
//   payload: the counts from index 0 to the maximum's index, each a ZigZag LEB128 varint (at
//   most 9 bytes), a run of k empty buckets written as the one value -k.
// The text is that in base64 (standard alphabet, padded): it starts "HISTF".
#pragma once

#include <string>
#include <string_view>

#include "loadgen/histogram.hpp"

namespace loadgen {

std::string encode_histogram(const Histogram& histogram);

// The histogram an encoding holds: its geometry and counts. An encoding carries no exact
// minimum, maximum or sums, so they are estimated as HdrHistogram does (estimate_exact);
// restore_exact() sets them when they are known. Throws std::invalid_argument saying what is
// wrong (not base64, not a V2 histogram, truncated, counts beyond its own layout, ...).
Histogram decode_histogram(std::string_view base64);

// Standard base64 with padding, as the encoding uses.
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // throws std::invalid_argument

}  // namespace loadgen
