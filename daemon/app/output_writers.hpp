#pragma once

#include <cstdio>

#include "computer/output.hpp"

namespace redrund {

// `redrund run`: a computer's output on stdout, its printError lines on stderr.
class stdio_output final : public output_sink {
 public:
  void line(std::uint32_t computer_id, output_stream stream, std::string_view text) override;
};

}  // namespace redrund
