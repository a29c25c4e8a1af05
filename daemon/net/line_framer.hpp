#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace redrund::net {

// Splits a TCP byte stream into "\n"-terminated lines (a trailing "\r" is dropped) without ever
// holding more than `line_bytes_max` bytes: a longer line is reported once and the rest of it,
// up to its "\n", is discarded, so the stream stays in sync. Pure, strand-confined.
class line_framer {
 public:
  explicit line_framer(std::size_t line_bytes_max) : line_bytes_max_(line_bytes_max) {}

  // Calls on_line(std::string&&) for each complete non-empty line and on_oversized() once for
  // each line that went over the limit.
  template <class OnLine, class OnOversized>
  void feed(std::string_view bytes, OnLine&& on_line, OnOversized&& on_oversized) {
    while (!bytes.empty()) {
      const std::size_t end = bytes.find('\n');
      const std::string_view piece = bytes.substr(0, end);
      // One byte of slack keeps room for a "\r" that is framing, not payload.
      if (!discarding_ && line_.size() + piece.size() > line_bytes_max_ + 1) {
        drop_line();
        on_oversized();
      } else if (!discarding_) {
        line_.append(piece);
      }
      if (end == std::string_view::npos) return;
      if (!discarding_) emit(on_line, on_oversized);
      discarding_ = false;
      bytes.remove_prefix(end + 1);
    }
  }

 private:
  void drop_line() {
    discarding_ = true;
    line_.clear();
    line_.shrink_to_fit();  // an abandoned near-limit line must not keep its memory
  }

  template <class OnLine, class OnOversized>
  void emit(OnLine& on_line, OnOversized& on_oversized) {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.size() > line_bytes_max_) {
      drop_line();
      on_oversized();
      return;
    }
    if (line_.empty()) return;  // blank lines (keep-alive from a terminal) are not messages
    std::string line;
    line.swap(line_);
    on_line(std::move(line));
  }

  std::size_t line_bytes_max_;
  std::string line_;
  bool discarding_ = false;
};

}  // namespace redrund::net
