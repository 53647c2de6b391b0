#include <sstream>

#include "hellosvc/http.hpp"

namespace hellosvc {

namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  std::string segment;
  while (std::getline(in, segment, '/')) {
    if (!segment.empty()) out.push_back(segment);
  }
  return out;
}

}  // namespace

Response text(int status, std::string body) {
  return Response{status, std::move(body), "text/plain; charset=utf-8"};
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split(pattern), std::move(handler)});
}

Response Router::handle(const Request& request) const {
  const std::vector<std::string> segments = split(request.path.substr(0, request.path.find('?')));
  bool path_known = false;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 1 && want.front() == '{' && want.back() == '}') {
        params.push_back(segments[i]);
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (route.method == request.method) return route.handler(request, params);
  }
  return path_known ? text(405, "method not allowed\n") : text(404, "not found\n");
}

}  // namespace hellosvc
