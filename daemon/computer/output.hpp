#pragma once

#include <cstdint>
#include <string_view>

namespace redrund {

enum class output_stream : std::uint8_t { out, err };

// Where a computer's terminal output goes, one finished line at a time. Implementations:
// stdout/stderr for `redrund run`, prefixed lines for `redrund test`, capture in tests.
class output_sink {
 public:
  virtual ~output_sink() = default;
  virtual void line(std::uint32_t computer_id, output_stream stream, std::string_view text) = 0;
};

}  // namespace redrund
