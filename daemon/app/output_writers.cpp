#include "app/output_writers.hpp"

namespace redrund {

void stdio_output::line(std::uint32_t, output_stream stream, std::string_view text) {
  std::FILE* target = stream == output_stream::err ? stderr : stdout;
  std::fwrite(text.data(), 1, text.size(), target);
  std::fputc('\n', target);
  // Keep stdout and stderr in order for readers that merge them.
  if (stream == output_stream::err) std::fflush(stdout);
}

}  // namespace redrund
