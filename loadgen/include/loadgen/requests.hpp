// What a run sends: each target's request compiled once into literal bytes and placeholder
// slots, rendered per request into a connection's buffer without allocating, and the weighted
// choice between targets. A run with one request and no placeholders sends bytes serialised
// once (plain()), as before targets existed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/distribution.hpp"
#include "loadgen/options.hpp"
#include "loadgen/targets.hpp"

namespace loadgen {

class RequestTemplate {
 public:
  // The request: request line, Host (unless a header gives one), `headers` then the target's
  // own, Content-Length when there is a body, the empty line, the body. `{name}` in the path
  // must name a variable (else std::invalid_argument); in headers and body only the names of
  // variables are placeholders, and other braces are bytes (so JSON bodies stay as they are).
  static RequestTemplate compile(const Target& target, std::string_view host_header,
                                 const std::vector<std::string>& headers,
                                 const std::vector<Variable>& variables);

  bool has_placeholders() const { return !variables_used_.empty(); }
  // The bytes sent when there are no placeholders; with them, `{name}` stands unrendered.
  const std::string& text() const { return text_; }
  // No rendered request is longer.
  std::size_t max_size() const { return max_size_; }
  // Indexes (into the variables) of the variables used, each once, in increasing order.
  const std::vector<std::size_t>& variables_used() const { return variables_used_; }
  bool uses(std::size_t variable) const;
  // Writes the request with values[v] for each variable v used into `out` (room for
  // max_size() bytes); returns its size.
  std::size_t render(char* out, const std::int64_t* values) const;

 private:
  enum class PieceKind : std::uint8_t { literal, variable, content_length };
  struct Piece {
    PieceKind kind;
    std::uint32_t offset = 0;  // literal: its bytes in literals_
    std::uint32_t size = 0;
    std::uint32_t variable = 0;
  };

  void append_literal(std::string_view bytes);
  // Splits `text` into literals and placeholders of known variables; with `strict`, a
  // `{identifier}` that names no variable is an error.
  void append_scanned(std::string_view text, const std::vector<Variable>& variables, bool strict,
                      std::string_view what);

  std::string text_;
  std::string literals_;
  std::vector<Piece> pieces_;
  std::size_t body_first_piece_ = 0;  // pieces from here on are the body
  std::size_t body_literal_bytes_ = 0;
  std::size_t max_size_ = 0;
  std::vector<std::size_t> variables_used_;
};

struct CompiledTarget {
  Target target;
  RequestTemplate request;
  bool head = false;       // a HEAD request: its answer has no body whatever it says
  bool uses_wait = false;  // its request holds {wait}: its latency minus the wait is overhead
};

struct RequestSet {
  std::vector<CompiledTarget> targets;
  std::vector<Variable> variables;
  std::optional<std::size_t> wait_variable;  // the index of the variable named `wait`
  std::vector<double> cumulative_weights;    // of the targets, over their total; ends at 1
  bool from_targets_file = false;

  // One request without placeholders: its bytes are serialised once per run.
  bool plain() const { return targets.size() == 1 && !targets.front().request.has_placeholders(); }
  // The target for 64 random bits: target i with probability weight_i / total weight.
  std::size_t pick(std::uint64_t bits) const;
  std::size_t max_request_size() const;
};

// The requests the command line asks for: the targets file's, or the one made of the URL's
// path, -m and --body; the -H headers go on every one. Throws UsageError naming the flag.
RequestSet build_request_set(const Options& options);

// The name a variable may have (and a placeholder holds): [A-Za-z_][A-Za-z0-9_]*.
bool is_variable_name(std::string_view name);

}  // namespace loadgen
