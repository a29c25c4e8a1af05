#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redrund {

// One computer with an expectation, as a JUnit test case.
struct junit_case {
  std::string name;                    // "label#id"
  double time_seconds = 0;             // simulated
  std::optional<std::string> failure;  // why the expectation failed; absent when it held
  std::string output;                  // the computer's output, lines joined with "\n"
};

// One scenario as a JUnit test suite; its cases' classname is the suite name.
struct junit_suite {
  std::string name;
  double time_seconds = 0;
  std::vector<junit_case> cases;
};

// `text` as XML 1.0 character data or attribute value (`attribute` also escapes quotes and
// line breaks). Bytes XML 1.0 cannot carry (control characters other than tab, newline and
// carriage return, and bytes that are not UTF-8) become U+FFFD, so any output is well formed.
std::string xml_escape(std::string_view text, bool attribute);

// The JUnit XML report, deterministic: times are simulated seconds.
std::string junit_xml(const junit_suite& suite);

}  // namespace redrund
