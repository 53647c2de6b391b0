#include "loadgen/histogram_codec.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace loadgen {
namespace {

// HdrHistogram's cookies; the low nibble of the second byte from the right (0x10) is the word
// size field, 1 for the varint payload of V2.
constexpr std::uint32_t kCompressionCookie = 0x1c849314;
constexpr std::uint32_t kEncodingCookie = 0x1c849313;
constexpr std::uint32_t kCookieBaseMask = ~std::uint32_t{0xf0};
constexpr std::size_t kEncodingHeaderBytes = 40;
constexpr std::size_t kCompressionHeaderBytes = 8;
// No histogram loadgen decodes is larger (a guard against a hostile length field).
constexpr std::size_t kMaxDecodedBytes = std::size_t{256} << 20;

void put_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value = (value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  return value;
}

// ZigZag then LEB128, at most 9 bytes: the ninth carries the last 8 bits whole.
void put_varint(std::string& out, std::int64_t signed_value) {
  std::uint64_t value = (static_cast<std::uint64_t>(signed_value) << 1) ^
                        static_cast<std::uint64_t>(signed_value >> 63);
  for (int i = 0; i < 8; ++i) {
    if ((value >> 7) == 0) {
      out.push_back(static_cast<char>(value));
      return;
    }
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Reads one varint at `at`; throws when it runs past the end.
std::int64_t get_varint(std::string_view in, std::size_t& at) {
  std::uint64_t value = 0;
  for (int i = 0; i < 9; ++i) {
    if (at >= in.size()) throw std::invalid_argument("histogram: a count is cut short");
    const auto byte = static_cast<unsigned char>(in[at++]);
    if (i == 8) {
      value |= static_cast<std::uint64_t>(byte) << 56;
      break;
    }
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) break;
  }
  return static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

std::string deflate_bytes(const std::string& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  // compress(): the zlib format at the default level, as HdrHistogram_c writes it.
  if (compress(reinterpret_cast<Bytef*>(out.data()), &size,
               reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size())) != Z_OK)
    throw std::runtime_error("histogram: zlib compress failed");
  out.resize(size);
  return out;
}

std::string inflate_bytes(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) throw std::runtime_error("histogram: zlib inflateInit failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK) {
    if (out.size() >= kMaxDecodedBytes) break;
    const std::size_t before = out.size();
    out.resize(before + 64 * 1024);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    stream.avail_out = 64 * 1024;
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(before + 64 * 1024 - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END)
    throw std::invalid_argument(
        fmt::format("histogram: the zlib stream is damaged or cut short ({})",
                    stream.msg ? stream.msg : std::to_string(status)));
  return out;
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t block = 0;
    for (std::size_t j = 0; j < 3; ++j)
      block = (block << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    for (std::size_t j = 0; j < 4; ++j)
      out.push_back(j <= n ? kBase64[(block >> (18 - 6 * j)) & 0x3f] : '=');
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    throw std::invalid_argument(
        fmt::format("not base64: its length {} is not a multiple of 4", text.size()));
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t block = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      std::uint32_t value = 0;
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++padding;
      } else {
        const auto found = kBase64.find(c);
        if (found == std::string_view::npos || padding > 0)
          throw std::invalid_argument(
              fmt::format("not base64: character {} ('{}') is not in its alphabet", i + j + 1, c));
        value = static_cast<std::uint32_t>(found);
      }
      block = (block << 6) | value;
    }
    for (int j = 0; j < 3 - padding; ++j)
      out.push_back(static_cast<char>((block >> (16 - 8 * j)) & 0xff));
  }
  return out;
}

std::string encode_histogram(const Histogram& h) {
  // The counts up to the maximum's bucket, as HdrHistogram_c writes them (one empty bucket
  // when nothing was recorded).
  const std::size_t limit = std::min(h.index_of(h.max()) + 1, h.counts_size());
  std::string payload;
  for (std::size_t i = 0; i < limit;) {
    const std::uint64_t count = h.count_at_index(i++);
    if (count == 0) {
      std::int64_t zeros = 1;
      while (i < limit && h.count_at_index(i) == 0) {
        ++zeros;
        ++i;
      }
      put_varint(payload, -zeros);
    } else {
      put_varint(payload, static_cast<std::int64_t>(count));
    }
  }
  std::string encoded;
  put_be(encoded, kEncodingCookie, 4);
  put_be(encoded, payload.size(), 4);
  put_be(encoded, 0, 4);  // normalizing index offset
  put_be(encoded, static_cast<std::uint64_t>(h.significant_figures()), 4);
  put_be(encoded, static_cast<std::uint64_t>(h.lowest_trackable()), 8);
  put_be(encoded, static_cast<std::uint64_t>(h.highest_trackable()), 8);
  put_be(encoded, std::bit_cast<std::uint64_t>(1.0), 8);
  encoded += payload;

  const std::string compressed = deflate_bytes(encoded);
  std::string bytes;
  put_be(bytes, kCompressionCookie, 4);
  put_be(bytes, compressed.size(), 4);
  bytes += compressed;
  return base64_encode(bytes);
}

Histogram decode_histogram(std::string_view base64) {
  const std::string bytes = base64_decode(base64);
  if (bytes.size() < kCompressionHeaderBytes)
    throw std::invalid_argument("histogram: shorter than its header");
  const auto cookie = static_cast<std::uint32_t>(get_be(bytes, 0, 4));
  if ((cookie & kCookieBaseMask) != (kCompressionCookie & kCookieBaseMask))
    throw std::invalid_argument(fmt::format(
        "histogram: cookie {:#010x} is not HdrHistogram's V2 compressed encoding ({:#010x})",
        cookie, kCompressionCookie));
  const std::uint64_t length = get_be(bytes, 4, 4);
  if (length > bytes.size() - kCompressionHeaderBytes)
    throw std::invalid_argument("histogram: the compressed length runs past the end");
  const std::string encoded =
      inflate_bytes(std::string_view(bytes).substr(kCompressionHeaderBytes, length));
  if (encoded.size() < kEncodingHeaderBytes)
    throw std::invalid_argument("histogram: the encoding is shorter than its header");
  const auto encoding_cookie = static_cast<std::uint32_t>(get_be(encoded, 0, 4));
  if ((encoding_cookie & kCookieBaseMask) != (kEncodingCookie & kCookieBaseMask))
    throw std::invalid_argument(
        fmt::format("histogram: encoding cookie {:#010x} is not V2 ({:#010x})", encoding_cookie,
                    kEncodingCookie));
  const std::uint64_t payload_length = get_be(encoded, 4, 4);
  const auto normalizing_offset = static_cast<std::int32_t>(get_be(encoded, 8, 4));
  const auto figures = static_cast<std::int32_t>(get_be(encoded, 12, 4));
  const auto lowest = static_cast<std::int64_t>(get_be(encoded, 16, 8));
  const auto highest = static_cast<std::int64_t>(get_be(encoded, 24, 8));
  const double ratio = std::bit_cast<double>(get_be(encoded, 32, 8));
  if (normalizing_offset != 0)
    throw std::invalid_argument("histogram: a shifted (normalizing index offset) histogram");
  if (ratio != 1.0)
    throw std::invalid_argument("histogram: a double histogram (conversion ratio is not 1)");
  if (payload_length != encoded.size() - kEncodingHeaderBytes)
    throw std::invalid_argument(
        fmt::format("histogram: payload length {} but {} bytes follow the header", payload_length,
                    encoded.size() - kEncodingHeaderBytes));
  Histogram h = [&] {
    try {
      return Histogram(lowest, highest, figures);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("{} (lowest {}, highest {}, figures {})", e.what(),
                                              lowest, highest, figures));
    }
  }();
  const std::string_view payload = std::string_view(encoded).substr(kEncodingHeaderBytes);
  std::size_t at = 0, index = 0;
  while (at < payload.size()) {
    const std::int64_t value = get_varint(payload, at);
    if (value < 0) {
      const auto zeros = static_cast<std::uint64_t>(-(value + 1)) + 1;
      if (zeros > h.counts_size() - index)
        throw std::invalid_argument("histogram: empty buckets run past the layout");
      index += static_cast<std::size_t>(zeros);
    } else {
      if (index >= h.counts_size())
        throw std::invalid_argument("histogram: counts run past the layout");
      if (value > 0) h.add_at_index(index, static_cast<std::uint64_t>(value));
      ++index;
    }
  }
  h.estimate_exact();
  return h;
}

}  // namespace loadgen
