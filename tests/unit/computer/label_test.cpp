// Labels follow CC's rules wherever they are set: the first 32 characters, unprintable ones
// replaced by '?'; here characters are UTF-8's, and bytes that are not UTF-8 become U+FFFD.

#include <catch2/catch.hpp>

#include <string>

#include "computer/label.hpp"

using redrund::is_normal_label;
using redrund::normalise_label;

namespace {

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

}  // namespace

TEST_CASE("a label keeps its first 32 characters, never half of one", "[computer]") {
  CHECK(normalise_label("") == "");
  CHECK(normalise_label(repeat("x", 40)) == repeat("x", 32));
  CHECK(normalise_label(repeat("é", 40)) == repeat("é", 32));
  CHECK(normalise_label(repeat("😀", 33)) == repeat("😀", 32));
  CHECK(normalise_label("a" + repeat("日", 40)) == "a" + repeat("日", 31));
  CHECK(is_normal_label(repeat("日本", 16)));
  CHECK_FALSE(is_normal_label(repeat("日本", 17)));
}

TEST_CASE("unprintable characters become '?' and bytes that are not UTF-8 U+FFFD", "[computer]") {
  CHECK(normalise_label("tab\there") == "tab?here");
  CHECK(normalise_label(std::string("nul\0!", 5)) == "nul?!");
  CHECK(normalise_label("del\x7f") == "del?");
  CHECK(normalise_label("c1\u0085 nbsp\u00a0 soft\u00ad ok\u00a1\u00ff") == "c1? nbsp? soft? ok\u00a1\u00ff");
  CHECK(normalise_label("bad\xff") == "bad\uFFFD");
  CHECK(normalise_label("overlong\xc0\xaf") == "overlong\uFFFD\uFFFD");
  CHECK(normalise_label("surrogate\xed\xa0\x80") == "surrogate\uFFFD\uFFFD\uFFFD");
  CHECK(normalise_label("cut\xe6\x97") == "cut\uFFFD\uFFFD");
  CHECK(is_normal_label("  spaces are printable  "));
  CHECK_FALSE(is_normal_label("line\n"));
}
