// JUnit reports: escaping keeps any computer output well formed.

#include <catch2/catch.hpp>

#include "proto/text_encoding.hpp"
#include "app/junit.hpp"

using redrund::xml_escape;

TEST_CASE("xml_escape escapes markup and replaces what XML 1.0 cannot carry", "[app]") {
  CHECK(xml_escape("a<b>&\"c\"", false) == "a&lt;b&gt;&amp;\"c\"");
  CHECK(xml_escape("a<b>&\"c\"", true) == "a&lt;b&gt;&amp;&quot;c&quot;");
  CHECK(xml_escape("l1\nl2\tx", false) == "l1\nl2\tx");
  CHECK(xml_escape("l1\nl2\tx", true) == "l1&#10;l2&#9;x");
  CHECK(xml_escape(std::string("\x07\x1b[1m\0!", 7), false) == "\xEF\xBF\xBD\xEF\xBF\xBD[1m\xEF\xBF\xBD!");
  CHECK(xml_escape("caf\xC3\xA9 \xE2\x82\xAC", false) == "caf\xC3\xA9 \xE2\x82\xAC");   // valid UTF-8 stays
  CHECK(xml_escape("\xFF\xC3", false) == "\xEF\xBF\xBD\xEF\xBF\xBD");                   // bytes that are not UTF-8
  CHECK(xml_escape("\xC0\xAF", false) == "\xEF\xBF\xBD\xEF\xBF\xBD");                   // overlong
  CHECK(xml_escape("\xED\xA0\x80", false) == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");   // a surrogate
  CHECK(xml_escape("\xEF\xBF\xBF", false) == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");   // U+FFFF
}

TEST_CASE("junit_xml gives one testcase per computer with its failure and output", "[app]") {
  redrund::junit_suite suite{"net <1>", 12.345, {}};
  suite.cases.push_back({"ok#1", 1.5, std::nullopt, "fine"});
  suite.cases.push_back({"bad#2", 12.345, std::string("expected success, got error: x"), "a\x01" "b"});
  const std::string xml = redrund::junit_xml(suite);
  CHECK(xml.find(R"(<testsuite name="net &lt;1&gt;" tests="2" failures="1" errors="0" time="12.35")") != std::string::npos);
  CHECK(xml.find(R"(<testcase classname="net &lt;1&gt;" name="ok#1" time="1.50">)") != std::string::npos);
  CHECK(xml.find(R"(<failure message="expected success, got error: x" type="expectation">a)"
                 "\xEF\xBF\xBD" "b</failure>") != std::string::npos);
  CHECK(xml.find("<system-out>fine</system-out>") != std::string::npos);
}

TEST_CASE("base64_decode accepts padded and unpadded base64 only", "[app]") {
  CHECK(redrund::proto::base64_decode("") == std::string());
  CHECK(redrund::proto::base64_decode("aGk=") == std::string("hi"));
  CHECK(redrund::proto::base64_decode("aGk") == std::string("hi"));
  CHECK(redrund::proto::base64_decode("AAEC/w==") == std::string("\0\1\2\xff", 4));
  CHECK_FALSE(redrund::proto::base64_decode("a"));
  CHECK_FALSE(redrund::proto::base64_decode("a*=="));
  CHECK_FALSE(redrund::proto::base64_decode("aG k="));
}
