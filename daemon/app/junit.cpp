#include "app/junit.hpp"

#include <cstdint>
#include <cstdio>

namespace redrund {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence at the start of `text` that XML 1.0 allows
// (no surrogates, no U+FFFE/U+FFFF), or 0.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  if (length == 0 || text.size() < length) return 0;
  // The lead byte keeps 7 - length payload bits.
  code = lead & ((1u << (7 - length)) - 1);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0u) != 0x80u) return 0;
    code = (code << 6) | (byte(i) & 0x3Fu);
  }
  const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length] || code > 0x10FFFF) return 0;  // overlong or past Unicode
  if ((code >= 0xD800 && code <= 0xDFFF) || code == 0xFFFE || code == 0xFFFF) return 0;
  return length;
}

std::string format_seconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", seconds);
  return buffer;
}

}  // namespace

std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text.substr(i));
      out += length == 0 ? replacement_character : text.substr(i, length);
      i += length == 0 ? 1 : length;
      continue;
    }
    ++i;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default:
        if (c < 0x20 || c == 0x7F)
          out += replacement_character;
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::string junit_xml(const junit_suite& suite) {
  std::size_t failures = 0;
  for (const junit_case& c : suite.cases) failures += c.failure ? 1 : 0;
  const std::string name = xml_escape(suite.name, true);
  const std::string counts = " tests=\"" + std::to_string(suite.cases.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\" time=\"" + format_seconds(suite.time_seconds) + "\"";
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites name=\"" + name + "\"" + counts + ">\n";
  xml += "  <testsuite name=\"" + name + "\"" + counts + " skipped=\"0\">\n";
  for (const junit_case& c : suite.cases) {
    xml += "    <testcase classname=\"" + name + "\" name=\"" + xml_escape(c.name, true) + "\" time=\"" +
           format_seconds(c.time_seconds) + "\">\n";
    const std::string output = xml_escape(c.output, false);
    if (c.failure)
      xml += "      <failure message=\"" + xml_escape(*c.failure, true) + "\" type=\"expectation\">" + output +
             "</failure>\n";
    xml += "      <system-out>" + output + "</system-out>\n";
    xml += "    </testcase>\n";
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace redrund
