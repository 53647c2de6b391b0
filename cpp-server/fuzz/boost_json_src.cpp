// Boost.JSON compiled into the fuzz targets (instead of linking libboost_json), so that its
// parser is built with the fuzzer's coverage instrumentation and the sanitizers.
#include <boost/json/src.hpp>

// Boost's assertions stay on in the fuzz builds (no NDEBUG), and go through this handler
// (BOOST_ENABLE_ASSERT_HANDLER, set by run-fuzz.sh for every file of a target) so that one of
// them can be told apart: Boost 1.81's basic_parser::parse_chunk_header asserts `n >= 5` when
// it is called again after the last chunk (`0\r\n`) with fewer bytes, which is valid input
// split across reads; the code after it then asks for more, correctly. Beast fixed the
// assertion in PR #2861 (Boost 1.86: ">= 5 only when a CRLF is expected, else >= 3"); the
// servers are built with NDEBUG, where it does not exist. The fuzzer found it
// (corpus/request/chunk-final-split replays it). Every other assertion aborts, as before.
#include <boost/assert.hpp>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace boost {

void assertion_failed_msg(char const* expr, char const* msg, char const* function,
                          char const* file, long line) {
  const std::string_view expression = expr;
  const std::string_view path = file;
  if (expression == "n >= 5" && path.ends_with("boost/beast/http/impl/basic_parser.ipp")) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line, function, expr,
               msg ? ": " : "", msg ? msg : "");
  std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
