// Boost.JSON compiled into the fuzz targets (instead of linking libboost_json), so that its
// parser is built with the fuzzer's coverage instrumentation and the sanitizers.
#include <boost/json/src.hpp>
