#include "computer/terminal.hpp"

#include <algorithm>

namespace redrund {
namespace {

// CC's default palette, by colour bit position (white, orange, ... black).
constexpr std::array<std::uint32_t, 16> cc_palette = {
    0xF0F0F0, 0xF2B233, 0xE57FD8, 0x99B2F2, 0xDEDE6C, 0x7FCC19, 0xF2B2CC, 0x4C4C4C,
    0x999999, 0x4C99B2, 0xB266E5, 0x3366CC, 0x7F664C, 0x57A64E, 0xCC4C4C, 0x111111};

}  // namespace

terminal::terminal(std::uint32_t computer_id, int width, int height, std::size_t line_bytes_max,
                   output_sink& sink)
    : computer_id_(computer_id), width_(width), height_(height), line_bytes_max_(line_bytes_max),
      sink_(sink), palette_(cc_palette) {}

std::uint32_t terminal::default_palette(int index) {
  return cc_palette[static_cast<std::size_t>(index & 15)];
}

void terminal::write(std::string_view text) {
  // Text is placed at the cursor like on a screen, but the transcript line may run past the
  // terminal width: headless output should not lose what a program wrote off-screen.
  if (cursor_x_ < 1) {
    const auto skip = static_cast<std::size_t>(1 - cursor_x_);
    text = skip >= text.size() ? std::string_view{} : text.substr(skip);
    cursor_x_ = 1;
  }
  const auto column = static_cast<std::size_t>(cursor_x_ - 1);
  if (column >= line_bytes_max_) {
    ++lines_truncated_;
    cursor_x_ += static_cast<int>(text.size());
    return;
  }
  if (column + text.size() > line_bytes_max_) {
    text = text.substr(0, line_bytes_max_ - column);
    ++lines_truncated_;
  }
  if (line_.size() < column) line_.resize(column, ' ');
  line_.replace(column, std::min(text.size(), line_.size() - column), text);
  cursor_x_ += static_cast<int>(text.size());
  line_dirty_ = line_dirty_ || !text.empty();
}

void terminal::flush() {
  if (!line_dirty_) return;
  const auto end = line_.find_last_not_of(' ');
  sink_.line(computer_id_, stream_, end == std::string::npos ? std::string_view{}
                                                             : std::string_view(line_).substr(0, end + 1));
  line_dirty_ = false;
}

void terminal::move_to_row(int y) {
  if (y == cursor_y_) return;
  flush();
  line_.clear();
  cursor_y_ = y;
}

void terminal::set_cursor(int x, int y) {
  move_to_row(y);
  cursor_x_ = x;
}

void terminal::clear() {
  flush();
  line_.clear();
}

void terminal::clear_line() {
  flush();
  line_.clear();
}

void terminal::scroll(int lines) {
  // Scrolling moves what is under the cursor away: the current line is finished.
  if (lines == 0) return;
  flush();
  line_.clear();
}

void terminal::set_stream(output_stream stream) {
  if (stream == stream_) return;
  flush();
  stream_ = stream;
}

}  // namespace redrund
