#include "cpp_server/options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpp_server {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string usage_error(const std::vector<std::string>& args) {
  try {
    parse_command_line(args);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(CppServerOptions, DefaultsMatchTheContract) {
  const CommandLine command_line = parse_command_line({});
  const ServerOptions& options = command_line.options;
  EXPECT_EQ(options.port, 8080);
  EXPECT_EQ(options.bind_address.to_string(), "127.0.0.1");
  EXPECT_EQ(options.threads, affinity_cpu_count());
  EXPECT_EQ(options.header_timeout, 10s);
  EXPECT_EQ(options.idle_timeout, 60s);
  EXPECT_EQ(options.body_timeout, 60s);
  EXPECT_EQ(options.write_timeout, 60s);
  EXPECT_EQ(options.header_limit_bytes, 8192u);
  EXPECT_EQ(options.io_model, IoModel::context_per_thread);
  EXPECT_EQ(options.live_mb, 0u);
  EXPECT_EQ(options.body_limit_bytes, 1024u * 1024u);
  EXPECT_FALSE(command_line.help_requested);
}

TEST(CppServerOptions, ReadsLiveMbFrom0To4096) {
  EXPECT_EQ(parse_command_line({"--live-mb", "100"}).options.live_mb, 100u);
  EXPECT_EQ(parse_command_line({"--live-mb", "0"}).options.live_mb, 0u);
  EXPECT_EQ(parse_command_line({"--live-mb=4096"}).options.live_mb, 4096u);
  EXPECT_EQ(parse_command_line({"--live-mb", "0025"}).options.live_mb, 25u);
}

TEST(CppServerOptions, LiveMbThatIsNotAnIntegerFrom0To4096NamesTheFlag) {
  EXPECT_EQ(usage_error({"--live-mb", "4097"}), "--live-mb: \"4097\" is not an integer 0..4096");
  for (const char* bad :
       {"-1", "+1", "x", "1.5", "1e2", "0x10", "", " 1", "99999999999999999999"}) {
    EXPECT_THAT(usage_error({"--live-mb", bad}), HasSubstr("--live-mb")) << bad;
  }
  EXPECT_THAT(usage_error({"--live-mb"}), HasSubstr("--live-mb"));
}

TEST(CppServerOptions, ReadsDbAndDbPool) {
  const ServerOptions none = parse_command_line({}).options;
  EXPECT_EQ(none.db_conninfo, "");
  EXPECT_EQ(none.db_pool, 0u);  // 2 per worker thread
  EXPECT_EQ(none.db_startup_timeout, 10s);
  EXPECT_EQ(none.db_acquire_timeout, 5s);
  const ServerOptions options =
      parse_command_line(
          {"--db", "postgresql://postgres@127.0.0.1:5432/postgres", "--db-pool", "16"})
          .options;
  EXPECT_EQ(options.db_conninfo, "postgresql://postgres@127.0.0.1:5432/postgres");
  EXPECT_EQ(options.db_pool, 16u);
  EXPECT_EQ(parse_command_line({"--db=host=/tmp port=5433"}).options.db_conninfo,
            "host=/tmp port=5433");
  EXPECT_EQ(parse_command_line({"--db-pool", "1"}).options.db_pool, 1u);
  EXPECT_EQ(parse_command_line({"--db-pool", "1024"}).options.db_pool, 1024u);
}

TEST(CppServerOptions, BadDbOrDbPoolNamesTheFlag) {
  EXPECT_EQ(usage_error({"--db-pool", "0"}), "--db-pool: \"0\" is not an integer 1..1024");
  for (const char* bad : {"1025", "-1", "x", "1.5", "", " 2", "99999999999999999999"}) {
    EXPECT_THAT(usage_error({"--db-pool", bad}), HasSubstr("--db-pool")) << bad;
  }
  EXPECT_THAT(usage_error({"--db-pool"}), HasSubstr("--db-pool"));
  for (const char* bad : {"", "host=x port", "colour=blue", "postgresql://h:notaport/x"}) {
    const std::string error = usage_error({"--db", bad});
    EXPECT_THAT(error, HasSubstr("--db")) << bad;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  EXPECT_THAT(usage_error({"--db"}), HasSubstr("--db"));
}

TEST(CppServerOptions, ReadsPortBindAndThreads) {
  const ServerOptions options =
      parse_command_line({"--port", "0", "--bind", "::1", "--threads", "3"}).options;
  EXPECT_EQ(options.port, 0);
  EXPECT_EQ(options.bind_address.to_string(), "::1");
  EXPECT_EQ(options.threads, 3u);
}

TEST(CppServerOptions, AcceptsEqualsForm) {
  EXPECT_EQ(parse_command_line({"--port=9090"}).options.port, 9090);
}

TEST(CppServerOptions, ReadsIoModel) {
  EXPECT_EQ(parse_command_line({"--io-model", "shared"}).options.io_model, IoModel::shared_context);
  EXPECT_EQ(parse_command_line({"--io-model", "per-thread"}).options.io_model,
            IoModel::context_per_thread);
}

TEST(CppServerOptions, PortOutOfRangeNamesTheFlag) {
  EXPECT_THAT(usage_error({"--port", "65536"}), HasSubstr("--port"));
  EXPECT_THAT(usage_error({"--port", "-1"}), HasSubstr("--port"));
  EXPECT_THAT(usage_error({"--port", "http"}), HasSubstr("--port"));
}

TEST(CppServerOptions, ThreadsBelowOneNamesTheFlag) {
  EXPECT_THAT(usage_error({"--threads", "0"}), HasSubstr("--threads"));
}

TEST(CppServerOptions, BindThatIsNotAnIpAddressNamesTheFlag) {
  EXPECT_EQ(usage_error({"--bind", "localhost"}), "--bind: \"localhost\" is not an IP address");
}

TEST(CppServerOptions, UnknownFlagIsAnError) {
  EXPECT_THAT(usage_error({"--verbose"}), HasSubstr("--verbose"));
}

TEST(CppServerOptions, MissingValueIsAnError) {
  EXPECT_THAT(usage_error({"--port"}), HasSubstr("--port"));
}

TEST(CppServerOptions, UnknownIoModelNamesTheFlag) {
  EXPECT_THAT(usage_error({"--io-model", "fibers"}), HasSubstr("--io-model"));
}

TEST(CppServerOptions, HelpIsNotAnError) {
  const CommandLine command_line = parse_command_line({"--help"});
  EXPECT_TRUE(command_line.help_requested);
  EXPECT_THAT(command_line.help_text, HasSubstr("--threads"));
}

TEST(CppServerOptions, AffinityCountIsAtLeastOne) { EXPECT_GE(affinity_cpu_count(), 1u); }

}  // namespace
}  // namespace cpp_server
