#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "computer/output.hpp"

namespace redrund {

// A headless CC terminal. It keeps the cursor, colours and palette that programs query, and
// turns what is drawn into a transcript: the line under the cursor is buffered, and when the
// cursor leaves it (a newline, setCursorPos to another row, scroll, clear) the line is sent
// to the output sink as text, trailing blanks removed. Overwriting a line that was already
// sent (e.g. a progress counter moving the cursor up) sends the new state as a new line.
class terminal {
 public:
  terminal(std::uint32_t computer_id, int width, int height, std::size_t line_bytes_max,
           output_sink& sink);

  int width() const { return width_; }
  int height() const { return height_; }

  void write(std::string_view text);
  void set_cursor(int x, int y);
  int cursor_x() const { return cursor_x_; }
  int cursor_y() const { return cursor_y_; }
  void clear();
  void clear_line();
  void scroll(int lines);
  // Sends the buffered line, if anything was drawn on it.
  void flush();

  bool cursor_blink() const { return cursor_blink_; }
  void set_cursor_blink(bool on) { cursor_blink_ = on; }
  // Colours are CC's bit flags (1, 2, 4, ... 32768).
  std::uint32_t text_colour() const { return text_colour_; }
  void set_text_colour(std::uint32_t c) { text_colour_ = c; }
  std::uint32_t background_colour() const { return background_colour_; }
  void set_background_colour(std::uint32_t c) { background_colour_ = c; }
  // Palette entries as 0xRRGGBB, indexed by colour bit position 0..15.
  std::uint32_t palette(int index) const { return palette_[static_cast<std::size_t>(index)]; }
  void set_palette(int index, std::uint32_t rgb) { palette_[static_cast<std::size_t>(index)] = rgb; }
  static std::uint32_t default_palette(int index);

  void set_stream(output_stream stream);
  std::uint64_t lines_truncated() const { return lines_truncated_; }

 private:
  void move_to_row(int y);

  std::uint32_t computer_id_;
  int width_;
  int height_;
  std::size_t line_bytes_max_;
  output_sink& sink_;
  output_stream stream_ = output_stream::out;
  std::string line_;
  bool line_dirty_ = false;
  int cursor_x_ = 1;
  int cursor_y_ = 1;
  bool cursor_blink_ = false;
  std::uint32_t text_colour_ = 1;           // white
  std::uint32_t background_colour_ = 32768; // black
  std::array<std::uint32_t, 16> palette_{};
  std::uint64_t lines_truncated_ = 0;
};

}  // namespace redrund
