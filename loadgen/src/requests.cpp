#include "loadgen/requests.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "loadgen/draws.hpp"

namespace loadgen {
namespace {

// The longest decimal int64: "-9223372036854775808".
constexpr std::size_t kMaxDigits = 20;

bool header_named(std::string_view header, std::string_view name) {
  const std::string_view field = header.substr(0, header.find(':'));
  return field.size() == name.size() &&
         std::equal(field.begin(), field.end(), name.begin(),
                    [](char a, char b) { return (a | 0x20) == (b | 0x20); });
}

std::size_t decimal_size(std::int64_t value) {
  char digits[kMaxDigits];
  return static_cast<std::size_t>(std::to_chars(digits, digits + kMaxDigits, value).ptr - digits);
}

}  // namespace

bool is_variable_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

void RequestTemplate::append_literal(std::string_view bytes) {
  if (bytes.empty()) return;
  text_.append(bytes);
  max_size_ += bytes.size();
  // Literals merge, but not across the start of the body (its length is counted apart).
  if (!pieces_.empty() && pieces_.back().kind == PieceKind::literal &&
      pieces_.size() != body_first_piece_) {
    pieces_.back().size += static_cast<std::uint32_t>(bytes.size());
  } else {
    pieces_.push_back(Piece{PieceKind::literal, static_cast<std::uint32_t>(literals_.size()),
                            static_cast<std::uint32_t>(bytes.size()), 0});
  }
  literals_.append(bytes);
}

void RequestTemplate::append_scanned(std::string_view text, const std::vector<Variable>& variables,
                                     bool strict, std::string_view what) {
  std::size_t literal_from = 0;
  for (std::size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    const std::size_t close = text.find('}', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view name = text.substr(open + 1, close - open - 1);
    if (!is_variable_name(name)) continue;
    const auto found = std::find_if(variables.begin(), variables.end(),
                                    [name](const Variable& v) { return v.name == name; });
    if (found == variables.end()) {
      if (!strict) continue;
      throw std::invalid_argument(fmt::format(
          "{} '{}' holds {{{}}}, but no variable '{}' is given (--var {}=SPEC{})", what, text, name,
          name, name, name == "wait" || name == "id" ? fmt::format(" or --{}", name) : ""));
    }
    append_literal(text.substr(literal_from, open - literal_from));
    const auto index = static_cast<std::size_t>(found - variables.begin());
    pieces_.push_back(Piece{PieceKind::variable, 0, 0, static_cast<std::uint32_t>(index)});
    text_.append(text.substr(open, close - open + 1));
    max_size_ += kMaxDigits;
    if (!uses(index)) {
      variables_used_.push_back(index);
      std::sort(variables_used_.begin(), variables_used_.end());
    }
    literal_from = close + 1;
    open = close;
  }
  append_literal(text.substr(literal_from));
}

bool RequestTemplate::uses(std::size_t variable) const {
  return std::find(variables_used_.begin(), variables_used_.end(), variable) !=
         variables_used_.end();
}

RequestTemplate RequestTemplate::compile(const Target& target, std::string_view host_header,
                                         const std::vector<std::string>& headers,
                                         const std::vector<Variable>& variables) {
  RequestTemplate t;
  t.body_first_piece_ = SIZE_MAX;  // no body yet: literals merge freely
  t.append_literal(target.method);
  t.append_literal(" ");
  t.append_scanned(target.path, variables, /*strict=*/true, "path");
  t.append_literal(" HTTP/1.1\r\n");
  const auto has = [&](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return header_named(h, name); }) ||
           std::any_of(target.headers.begin(), target.headers.end(),
                       [&](const auto& h) { return header_named(h, name); });
  };
  if (!has("host")) t.append_literal(fmt::format("Host: {}\r\n", host_header));
  for (const auto* list : {&headers, &target.headers})
    for (const auto& header : *list) {
      t.append_scanned(header, variables, /*strict=*/false, "header");
      t.append_literal("\r\n");
    }
  if (!target.body) {
    t.append_literal("\r\n");
    return t;
  }
  if (has("content-length"))
    throw std::invalid_argument("Content-Length is set from the body; do not give it as a header");
  t.append_literal("Content-Length: ");
  t.pieces_.push_back(Piece{PieceKind::content_length, 0, 0, 0});
  t.max_size_ += kMaxDigits;
  const std::size_t length_at = t.text_.size();
  t.append_literal("\r\n\r\n");
  t.body_first_piece_ = t.pieces_.size();
  const std::size_t body_at = t.text_.size();
  t.append_scanned(*target.body, variables, /*strict=*/false, "body");
  for (std::size_t i = t.body_first_piece_; i < t.pieces_.size(); ++i)
    if (t.pieces_[i].kind == PieceKind::literal) t.body_literal_bytes_ += t.pieces_[i].size;
  // The text as sent when nothing is rendered: the body's own length.
  t.text_.insert(length_at, std::to_string(t.text_.size() - body_at));
  return t;
}

std::size_t RequestTemplate::render(char* out, const std::int64_t* values) const {
  char* p = out;
  for (std::size_t i = 0; i < pieces_.size(); ++i) {
    const Piece& piece = pieces_[i];
    switch (piece.kind) {
      case PieceKind::literal:
        std::memcpy(p, literals_.data() + piece.offset, piece.size);
        p += piece.size;
        break;
      case PieceKind::variable:
        p = std::to_chars(p, p + kMaxDigits, values[piece.variable]).ptr;
        break;
      case PieceKind::content_length: {
        std::size_t body = body_literal_bytes_;
        for (std::size_t b = body_first_piece_; b < pieces_.size(); ++b)
          if (pieces_[b].kind == PieceKind::variable)
            body += decimal_size(values[pieces_[b].variable]);
        p = std::to_chars(p, p + kMaxDigits, body).ptr;
        break;
      }
    }
  }
  return static_cast<std::size_t>(p - out);
}

std::size_t RequestSet::pick(std::uint64_t bits) const {
  if (cumulative_weights.size() <= 1) return 0;
  const double u = draws::unit_interval(bits);
  const auto found = std::upper_bound(cumulative_weights.begin(), cumulative_weights.end(), u);
  return std::min(static_cast<std::size_t>(found - cumulative_weights.begin()),
                  cumulative_weights.size() - 1);
}

std::size_t RequestSet::max_request_size() const {
  std::size_t size = 0;
  for (const auto& t : targets) size = std::max(size, t.request.max_size());
  return size;
}

RequestSet build_request_set(const Options& options) {
  RequestSet set;
  set.variables = options.variables;
  for (std::size_t i = 0; i < set.variables.size(); ++i)
    if (set.variables[i].name == "wait") set.wait_variable = i;

  std::vector<Target> targets = options.targets;
  set.from_targets_file = !targets.empty();
  if (targets.empty()) {
    Target target;
    target.method = options.method;
    target.path = options.url.target;
    target.body = options.body;
    target.body_file = options.body_file;
    targets.push_back(std::move(target));
  }
  double total = 0;
  for (auto& target : targets) {
    CompiledTarget compiled;
    try {
      compiled.request =
          RequestTemplate::compile(target, options.url.host_header, options.headers, set.variables);
    } catch (const std::invalid_argument& e) {
      if (!set.from_targets_file) {
        const bool in_path = std::string_view(e.what()).starts_with("path");
        throw UsageError(fmt::format("{}: {}", in_path ? "URL" : "--header", e.what()));
      }
      throw UsageError(fmt::format("--targets: '{}': request '{}': {}", options.targets_file,
                                   target.name, e.what()));
    }
    compiled.head = target.method == "HEAD";
    compiled.uses_wait = set.wait_variable && compiled.request.uses(*set.wait_variable);
    compiled.target = std::move(target);
    total += compiled.target.weight;
    set.cumulative_weights.push_back(total);
    set.targets.push_back(std::move(compiled));
  }
  for (auto& w : set.cumulative_weights) w /= total;
  set.cumulative_weights.back() = 1.0;
  return set;
}

}  // namespace loadgen
