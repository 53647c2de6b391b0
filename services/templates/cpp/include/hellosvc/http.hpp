// Requests, responses and the router the modules register on. No Beast here: the modules
// see plain structs, and only src/main.cpp speaks HTTP.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace hellosvc {

struct Request {
  std::string method;
  std::string path;
  std::string body;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

Response text(int status, std::string body);

// A handler gets the request and the values of the pattern's {placeholders}, in order.
using Handler = std::function<Response(const Request&, const std::vector<std::string>&)>;

class Router {
 public:
  // pattern: "/m001/records/{id}"
  void add(std::string method, std::string pattern, Handler handler);
  Response handle(const Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace hellosvc
