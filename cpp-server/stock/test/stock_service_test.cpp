// The service routes of the stock server: every vector of contract/vectors/service.json on one
// keep-alive connection, and what the vectors cannot say (chunked bodies, the 1 MiB close,
// pipelining).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <sstream>

#include "stock_support.hpp"

namespace cpp_stock::testing {
namespace {

namespace json = boost::json;

constexpr std::string_view kOrder =
    R"({"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}],"note":"..."})";
constexpr std::string_view kOrderAnswer =
    R"({"customer_id":7,"customer_name":"user-7","item_count":1,"total_cents":2500})";

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string base64_decode(std::string_view text) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned bits = 0;
  int bit_count = 0;
  for (const char c : text) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<unsigned>(kAlphabet.find(c));
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  return bytes;
}

std::string post_orders(std::string_view body, std::string_view content_type = "application/json",
                        std::string_view extra_fields = {}) {
  std::string request = "POST /orders HTTP/1.1\r\nHost: test\r\nContent-Type: ";
  request.append(content_type).append("\r\nContent-Length: ").append(std::to_string(body.size()));
  return request.append("\r\n").append(extra_fields).append("\r\n").append(body);
}

std::string chunked_post_orders(std::string_view body, std::size_t chunk_size) {
  std::string request =
      "POST /orders HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += chunk_size) {
    const std::string_view chunk = body.substr(at, chunk_size);
    std::ostringstream size;
    size << std::hex << chunk.size();
    request.append(size.str()).append("\r\n").append(chunk).append("\r\n");
  }
  return request + "0\r\n\r\n";
}

Options service_options() {
  Options options = quick_options();
  options.live_mb = 1;  // the vectors' store: records 0..1023
  return options;
}

class CppStockServiceTest : public ::testing::Test {
 protected:
  RunningStock server_{service_options()};
  Client connect() { return Client(server_.endpoint()); }
};

TEST_F(CppStockServiceTest, AnswersEveryContractVectorOnOneKeepAliveConnection) {
  const json::value file =
      json::parse(read_file(std::string(CPP_STOCK_CONTRACT_DIR) + "/vectors/service.json"));
  ASSERT_EQ(file.at("live_mb").to_number<int>(), 1);
  const json::array& vectors = file.at("vectors").as_array();
  ASSERT_GE(vectors.size(), 80u);

  Client client = connect();
  for (const json::value& entry : vectors) {
    const json::object& vector = entry.as_object();
    SCOPED_TRACE(std::string(vector.at("name").as_string()));
    std::string request(vector.at("method").as_string());
    request.append(" ").append(vector.at("target").as_string()).append(" HTTP/1.1\r\nHost: t\r\n");
    if (const json::value* content_type = vector.if_contains("request_content_type")) {
      request.append("Content-Type: ").append(content_type->as_string()).append("\r\n");
    }
    std::optional<std::string> body;
    if (const json::value* text = vector.if_contains("request_body")) {
      body = std::string(text->as_string());
    } else if (const json::value* encoded = vector.if_contains("request_body_base64")) {
      body = base64_decode(encoded->as_string());
    }
    if (body) request.append("Content-Length: ").append(std::to_string(body->size()));
    request.append(body ? "\r\n\r\n" : "\r\n").append(body.value_or(""));
    client.send(request);

    const Response response = client.read_response();
    EXPECT_EQ(response.status, vector.at("status").to_number<unsigned>());
    EXPECT_EQ(response.field("Content-Type"), vector.at("content_type").as_string());
    EXPECT_EQ(response.body, vector.at("body").as_string());
    if (const json::value* allow = vector.if_contains("allow")) {
      EXPECT_EQ(response.field("Allow"), allow->as_string());
    } else {
      EXPECT_FALSE(response.has_field("Allow"));
    }
    EXPECT_FALSE(response.has_field("Connection"));
    ASSERT_EQ(client.get("/").status, 200u);  // still open, and serving
  }
}

TEST_F(CppStockServiceTest, TheStoreHoldsLiveMbTimes1024Records) {
  EXPECT_EQ(server_.server().store().size(), 1024u);
}

TEST_F(CppStockServiceTest, ChunkedOrderIsAccepted) {
  Client client = connect();
  client.send(chunked_post_orders(kOrder, 10));
  EXPECT_EQ(client.read_response().body, kOrderAnswer);
  EXPECT_EQ(client.get("/").status, 200u);
}

TEST_F(CppStockServiceTest, ChunkedBodyOver64KiBIs413AndTheConnectionKept) {
  Client client = connect();
  client.send(chunked_post_orders(std::string(70'000, ' '), 4096));
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.body, "body over 64 KiB");
  EXPECT_FALSE(response.has_field("Connection"));
  EXPECT_EQ(client.get("/").status, 200u);
}

TEST_F(CppStockServiceTest, BodyOfExactly1MiBIsRead413AndTheConnectionKept) {
  Client client = connect();
  client.send(post_orders(std::string(1024 * 1024, ' ')));
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.body, "body over 64 KiB");
  EXPECT_FALSE(response.has_field("Connection"));
  EXPECT_EQ(client.get("/").status, 200u);
}

TEST_F(CppStockServiceTest, DeclaredBodyOver1MiBIs413WithConnectionCloseBeforeAnyBody) {
  Client client = connect();
  client.send(
      "POST /orders HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048577\r\n\r\n");
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.body, "body over 64 KiB");
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockServiceTest, ChunkedBodyFoundOver1MiBIs413WithConnectionCloseThenClosed) {
  Client client = connect();
  client.send(chunked_post_orders(std::string(1024 * 1024 + 1, ' '), 64 * 1024));
  const Response response = client.read_response();
  EXPECT_EQ(response.status, 413u);
  EXPECT_EQ(response.body, "body over 64 KiB");
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close(1000ms));
}

TEST_F(CppStockServiceTest, PipelinedOrdersAndUsersAreAnsweredInOrder) {
  Client client = connect();
  client.send(post_orders(kOrder) + "GET /users/1023 HTTP/1.1\r\nHost: test\r\n\r\n" +
              post_orders("{") + post_orders(kOrder, "text/plain") +
              "GET /users/1024 HTTP/1.1\r\nHost: test\r\n\r\n" + post_orders(kOrder));
  EXPECT_EQ(client.read_response().body, kOrderAnswer);
  EXPECT_EQ(client.read_response().status, 200u);
  EXPECT_EQ(client.read_response().status, 400u);
  EXPECT_EQ(client.read_response().status, 415u);
  EXPECT_EQ(client.read_response().status, 404u);
  EXPECT_EQ(client.read_response().body, kOrderAnswer);
}

TEST_F(CppStockServiceTest, ConnectionCloseOnAnOrderIsHonoured) {
  Client client = connect();
  client.send(post_orders(kOrder, "application/json", "Connection: close\r\n"));
  const Response response = client.read_response();
  EXPECT_EQ(response.body, kOrderAnswer);
  EXPECT_EQ(response.field("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close(500ms));
}

TEST(CppStockService, WithoutAStoreEveryUserIsNotFoundAndOrdersNameNoCustomer) {
  RunningStock server;  // --live-mb 0
  Client client(server.endpoint());
  EXPECT_EQ(client.get("/users/0").status, 404u);
  client.send(post_orders(kOrder));
  EXPECT_EQ(client.read_response().body,
            R"({"customer_id":7,"customer_name":null,"item_count":1,"total_cents":2500})");
}

}  // namespace
}  // namespace cpp_stock::testing
