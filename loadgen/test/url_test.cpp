#include "loadgen/url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace loadgen {
namespace {

TEST(LoadgenParseUrl, SplitsHostPortAndTarget) {
  const Url url = parse_url("http://127.0.0.1:8080/user?id=1");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.target, "/user?id=1");
  EXPECT_EQ(url.host_header, "127.0.0.1:8080");
}

TEST(LoadgenParseUrl, DefaultsToPort80AndRootPath) {
  const Url url = parse_url("http://localhost");
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, 80);
  EXPECT_EQ(url.target, "/");
  EXPECT_EQ(url.host_header, "localhost");
}

TEST(LoadgenParseUrl, UnbracketsIpv6Hosts) {
  const Url url = parse_url("http://[::1]:9000/json");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 9000);
  EXPECT_EQ(url.host_header, "[::1]:9000");
}

TEST(LoadgenParseUrl, KeepsAQueryWithoutPathAndDropsTheFragment) {
  EXPECT_EQ(parse_url("http://h:1?x=2").target, "/?x=2");
  EXPECT_EQ(parse_url("http://h:1/a#frag").target, "/a");
}

TEST(LoadgenParseUrl, RejectsOtherSchemesAndBadPorts) {
  for (const char* bad : {"https://h/", "127.0.0.1:8080", "http://:80/", "http://h:0/",
                          "http://h:70000/", "http://h:/", "http://h:8x/", "http://[::1/"})
    EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace loadgen
