// Requests as data: the targets file, request templates with placeholders, the weighted mix.
#include "loadgen/requests.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "loadgen/draws.hpp"
#include "loadgen/options.hpp"

namespace loadgen {
namespace {

Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "loadgen");
  return parse_command_line(static_cast<int>(args.size()), args.data()).options;
}

std::string usage_error(std::vector<const char*> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

// A scratch folder with files in it, removed at the end of the test.
class Files {
 public:
  Files() {
    char name[] = "/tmp/loadgen-requests-test-XXXXXX";
    dir_ = mkdtemp(name);
  }
  ~Files() { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

std::string render(const RequestTemplate& t, std::vector<std::int64_t> values) {
  std::string out(t.max_size(), '\0');
  out.resize(t.render(out.data(), values.data()));
  return out;
}

TEST(LoadgenRequestTemplate, PlaceholdersInThePathAreRenderedAsIntegers) {
  const Options o = parse({"http://127.0.0.1:8080/io?ms={wait}&user={id}", "--wait",
                           "uniform:80ms:150ms", "--id", "uniform:0:9"});
  const RequestSet set = build_request_set(o);
  ASSERT_EQ(set.targets.size(), 1u);
  const auto& request = set.targets[0].request;
  EXPECT_FALSE(set.plain());
  EXPECT_TRUE(set.targets[0].uses_wait);
  EXPECT_EQ(request.variables_used(), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(render(request, {120, 7}),
            "GET /io?ms=120&user=7 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
  EXPECT_EQ(render(request, {0, -3}),
            "GET /io?ms=0&user=-3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
}

TEST(LoadgenRequestTemplate, APlainRequestIsSerialisedOnce) {
  const Options o = parse({"http://127.0.0.1:8080/user", "-H", "X-A: {x}"});
  const RequestSet set = build_request_set(o);
  EXPECT_TRUE(set.plain());  // {x} names no variable: in a header it is just bytes
  EXPECT_EQ(set.targets[0].request.text(),
            "GET /user HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: {x}\r\n\r\n");
}

TEST(LoadgenRequestTemplate, ABodyGoesVerbatimWithItsLength) {
  Files files;
  const std::string body = "{\"customer_id\":7,\"items\":[{\"sku\":\"A-1\",\"qty\":2}]}";
  const std::string file = files.write("order.json", body);
  const Options o = parse({"http://127.0.0.1:8080/orders", "-m", "POST", "--body", file.c_str(),
                           "-H", "Content-Type: application/json"});
  EXPECT_EQ(serialise_request(o),
            "POST /orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: "
            "application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_TRUE(build_request_set(o).plain());
}

TEST(LoadgenRequestTemplate, PlaceholdersInABodyUpdateContentLength) {
  Files files;
  const std::string file = files.write("order.json", "{\"customer_id\":{id},\"note\":\"x\"}");
  const Options o = parse({"http://127.0.0.1:8080/orders", "-m", "POST", "--body", file.c_str(),
                           "--id", "uniform:0:102399"});
  const RequestSet set = build_request_set(o);
  const auto& request = set.targets[0].request;
  // {"customer_id":7,"note":"x"} is 28 bytes; with 12345 it is 32.
  EXPECT_EQ(render(request, {7}),
            "POST /orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: "
            "28\r\n\r\n{\"customer_id\":7,\"note\":\"x\"}");
  EXPECT_EQ(render(request, {12345}),
            "POST /orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: "
            "32\r\n\r\n{\"customer_id\":12345,\"note\":\"x\"}");
}

TEST(LoadgenRequestTemplate, AnUnknownPlaceholderInThePathIsAnError) {
  EXPECT_EQ(usage_error({"http://127.0.0.1:8080/users/{id}"}),
            "URL: path '/users/{id}' holds {id}, but no variable 'id' is given (--var id=SPEC or "
            "--id)");
}

TEST(LoadgenRequestTemplate, ContentLengthComesFromTheBodyOnly) {
  Files files;
  const std::string file = files.write("b", "x");
  EXPECT_NE(usage_error({"http://h/", "--body", file.c_str(), "-H", "content-length: 5"})
                .find("Content-Length is set from the body"),
            std::string::npos);
}

TEST(LoadgenTargets, ReadsTheFileWithBodiesRelativeToIt) {
  Files files;
  files.write("order-10.json", "{\"customer_id\":1}");
  const std::string path = files.write("mix.json", R"({"requests":[
    {"name":"user","weight":80,"method":"GET","path":"/users/{id}"},
    {"name":"order","weight":20,"method":"POST","path":"/orders",
     "headers":["Content-Type: application/json"],"body_file":"order-10.json"},
    {"name":"inline","path":"/","body":"abc"}]})");
  const auto targets = load_targets_file(path);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].name, "user");
  EXPECT_EQ(targets[0].weight, 80);
  EXPECT_FALSE(targets[0].body.has_value());
  EXPECT_EQ(targets[1].method, "POST");
  EXPECT_EQ(targets[1].headers, std::vector<std::string>{"Content-Type: application/json"});
  EXPECT_EQ(targets[1].body, "{\"customer_id\":1}");
  EXPECT_EQ(targets[1].body_file, (files.dir() / "order-10.json").string());
  EXPECT_EQ(targets[2].method, "GET");
  EXPECT_EQ(targets[2].weight, 1);
  EXPECT_EQ(targets[2].body, "abc");

  const Options o = parse({"http://127.0.0.1:9/ignored", "--targets", path.c_str(), "--id",
                           "const:5", "-H", "X-Run: 1"});
  const RequestSet set = build_request_set(o);
  EXPECT_TRUE(set.from_targets_file);
  EXPECT_EQ(render(set.targets[0].request, {5}),
            "GET /users/5 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nX-Run: 1\r\n\r\n");
  EXPECT_EQ(set.targets[1].request.text(),
            "POST /orders HTTP/1.1\r\nHost: 127.0.0.1:9\r\nX-Run: 1\r\nContent-Type: "
            "application/json\r\nContent-Length: 17\r\n\r\n{\"customer_id\":1}");
}

// The message of the error a targets file's text gives.
std::string targets_error(const std::string& text) {
  try {
    parse_targets(text, "/nowhere", "mix.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LoadgenTargets, ErrorsNameTheFileAndWhere) {
  EXPECT_EQ(targets_error("{\"requests\": [\n  {\"name\": \"a\", \"path\": /}]}"),
            "'mix.json' line 2 column 25: not valid JSON: syntax error while parsing value - "
            "invalid literal; last read: '\"path\": /'");
  EXPECT_EQ(targets_error(R"({"requests":[{"name":"a","path":"/","weight":0}]})"),
            "'mix.json': requests[0].weight: must be a number greater than 0, not 0");
  EXPECT_EQ(targets_error(R"({"requests":[{"name":"a","path":"/"},{"name":"a","path":"/"}]})"),
            "'mix.json': requests[1].name: 'a' is used by an earlier request");
  EXPECT_EQ(targets_error(R"({"requests":[{"name":"a","path":"x"}]})"),
            "'mix.json': requests[0].path: a path starting with '/' is required");
  EXPECT_EQ(targets_error(R"({"requests":[{"name":"a","path":"/","wieght":2}]})"),
            "'mix.json': requests[0].wieght: unknown field (expected name, weight, method, "
            "path, headers, body, body_file)");
  EXPECT_EQ(targets_error(R"({"requests":[{"path":"/"}]})"),
            "'mix.json': requests[0].name: a non-empty name is required");
  EXPECT_EQ(targets_error(R"({"requests":[{"name":"a","path":"/","headers":["bad"]}]})"),
            "'mix.json': requests[0].headers[0]: 'bad' is not 'Name: value'");
  EXPECT_EQ(targets_error(R"({"requests":[{"name":"a","path":"/","body_file":"none.json"}]})"),
            "'mix.json': requests[0].body_file: cannot read '/nowhere/none.json': No such file "
            "or directory");
  EXPECT_EQ(targets_error(R"({"requests":[]})"),
            "'mix.json': requests: must be a non-empty array of requests");
  EXPECT_EQ(targets_error(R"({"reqs":[]})"),
            "'mix.json': unknown field 'reqs' (expected requests)");
}

TEST(LoadgenTargets, CommandLineErrorsNameTheFlag) {
  Files files;
  const std::string bad = files.write("bad.json", "{\"requests\": [");
  EXPECT_EQ(usage_error({"http://h/", "--targets", bad.c_str()})
                .rfind("--targets: '" + bad + "' line 1 column 15", 0),
            0u)
      << usage_error({"http://h/", "--targets", bad.c_str()});
  EXPECT_EQ(usage_error({"http://h/", "--targets", "/no/such.json"}),
            "--targets: cannot read '/no/such.json': No such file or directory");
  EXPECT_EQ(usage_error({"http://h/", "--body", "/no/such.body"}),
            "--body: cannot read '/no/such.body': No such file or directory");
  const std::string mix =
      files.write("mix.json", R"({"requests":[{"name":"u","path":"/u/{id}"}]})");
  EXPECT_EQ(usage_error({"http://h/", "--targets", mix.c_str()}),
            "--targets: '" + mix +
                "': request 'u': path '/u/{id}' holds {id}, but no variable 'id' is given (--var "
                "id=SPEC or --id)");
  EXPECT_EQ(usage_error({"http://h/", "--targets", mix.c_str(), "--id", "const:1", "-m", "POST"}),
            "--method: not with --targets (each request there has its method)");
}

TEST(LoadgenTargets, VariablesFromTheCommandLine) {
  const Options o = parse({"http://h/{a}/{wait}/{id}", "--var", "a=const:3", "--wait", "const:20ms",
                           "--id", "uniform:1:2", "--seed", "99"});
  ASSERT_EQ(o.variables.size(), 3u);
  EXPECT_EQ(o.variables[0].name, "wait");
  EXPECT_EQ(o.variables[1].name, "id");
  EXPECT_EQ(o.variables[2].name, "a");
  EXPECT_EQ(o.variables[2].distribution.spec(), "const:3");
  EXPECT_EQ(o.seed, 99u);
  EXPECT_EQ(parse({"http://h/"}).seed, draws::kDefaultSeed);

  EXPECT_EQ(usage_error({"http://h/", "--wait", "uniform:80:150"}),
            "--wait: at 'uniform:80:150' position 9: a wait is a duration: give units, e.g. "
            "uniform:80ms:150ms");
  // --var positions count from the start of NAME=SPEC, as typed.
  EXPECT_EQ(usage_error({"http://h/", "--var", "x=uniform:1:2x"}),
            "--var: at 'x=uniform:1:2x' position 14: unknown unit 'x' (expected ns, us, ms, s, m "
            "or h)");
  EXPECT_EQ(usage_error({"http://h/", "--var", "2x=const:1"}),
            "--var: '2x=const:1' is not NAME=SPEC with NAME made of letters, digits and _");
  EXPECT_EQ(usage_error({"http://h/", "--wait", "const:1ms", "--var", "wait=const:2ms"}),
            "--var: 'wait' is given twice");
}

TEST(LoadgenTargetMix, PicksEachTargetInProportionToItsWeight) {
  Files files;
  const std::string mix = files.write("mix.json", R"({"requests":[
    {"name":"a","weight":80,"path":"/a"},{"name":"b","weight":15,"path":"/b"},
    {"name":"c","weight":5,"path":"/c"}]})");
  const RequestSet set = build_request_set(parse({"http://h/", "--targets", mix.c_str()}));
  const std::uint64_t key =
      draws::name_key(draws::stream_key(1, draws::StreamKind::thread, 0), draws::kTargetChoice);
  constexpr int kN = 100'000;
  std::vector<double> counts(3, 0);
  for (int n = 0; n < kN; ++n) ++counts[set.pick(draws::bits(key, static_cast<std::uint64_t>(n)))];
  // Chi-square with 2 degrees of freedom: below 13.8 with probability 0.999.
  const double expected[] = {0.80 * kN, 0.15 * kN, 0.05 * kN};
  double chi_square = 0;
  for (int i = 0; i < 3; ++i)
    chi_square += std::pow(counts[static_cast<std::size_t>(i)] - expected[i], 2) / expected[i];
  EXPECT_LT(chi_square, 13.8) << counts[0] << " " << counts[1] << " " << counts[2];
}

}  // namespace
}  // namespace loadgen
