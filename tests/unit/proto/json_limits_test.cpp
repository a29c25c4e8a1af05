#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "proto/json_limits.hpp"
#include "proto/text_encoding.hpp"

namespace {

using redrund::proto::json_parse_error;
using redrund::proto::parse_json_frame;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("every JSONTestSuite case: y_ accepted, n_ rejected, none crash", "[proto]") {
  const std::filesystem::path dir = std::filesystem::path(REDRUND_TEST_DATA_DIR) / "json-parsing";
  REQUIRE(std::filesystem::is_directory(dir));
  int cases = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    const std::string name = file.path().filename().string();
    if (file.path().extension() != ".json") continue;
    ++cases;
    const std::string text = read_file(file.path());
    const auto started = std::chrono::steady_clock::now();
    const auto parsed = parse_json_frame(text);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    INFO(name << (parsed.ok() ? "" : ": " + parsed.error().message));
    CHECK(elapsed < std::chrono::seconds(1));  // no pathological case
    if (name.rfind("y_", 0) == 0) CHECK(parsed.ok());
    if (name.rfind("n_", 0) == 0) CHECK_FALSE(parsed.ok());
    if (name == "n_structure_100000_opening_arrays.json") {
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().type == json_parse_error::kind::too_deep);
      CHECK(parsed.error().offset_bytes == 64);
    }
  }
  CHECK(cases > 300);
}

TEST_CASE("frame caps: size and depth, with offsets", "[proto]") {
  redrund::proto::json_limits limits;
  limits.frame_bytes_max = 20;
  limits.depth_max = 3;
  CHECK(parse_json_frame("[[[1]]]", limits).ok());
  const auto deep = parse_json_frame("[[{\"a\":[]}]]", limits);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().type == json_parse_error::kind::too_deep);
  CHECK(deep.error().offset_bytes == 7);
  // Brackets inside strings, escaped quotes included, are not nesting.
  CHECK(parse_json_frame(R"(["[[[\"[["])", limits).ok());
  const auto big = parse_json_frame("[1,2,3,4,5,6,7,8,9,10]", limits);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().type == json_parse_error::kind::too_large);
  const auto syntax = parse_json_frame("[1,}");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().type == json_parse_error::kind::syntax);
  CHECK(syntax.error().offset_bytes == 3);
  CHECK(syntax.error().message.rfind("parse error at line 1, column 4", 0) == 0);
  const auto nul = parse_json_frame(std::string("123\0", 4));
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.error().offset_bytes == 3);
  const auto overflow = parse_json_frame("1e400");
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.error().message.find("number overflow") != std::string::npos);
  const auto duplicate = parse_json_frame(R"({"a":1,"a":2})");
  REQUIRE(duplicate.ok());
  CHECK((*duplicate)["a"] == 2);
}

TEST_CASE("dump_json never throws on invalid UTF-8 in messages", "[proto]") {
  CHECK(redrund::proto::dump_json(nlohmann::json("bad \xFF byte")) == "\"bad \xEF\xBF\xBD byte\"");
}

TEST_CASE("UTF-8 validation and base64", "[proto]") {
  using namespace redrund::proto;
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("\xC1\xBF"));          // overlong
  CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xE2\x9C"));          // truncated
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm8=") == "fo");
  CHECK(base64_decode("Zm8") == "fo");
  CHECK(base64_decode("") == "");
  CHECK_FALSE(base64_decode("Zm8==").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
  CHECK_FALSE(base64_decode("Zm 8").has_value());
  CHECK_FALSE(base64_decode("====").has_value());
}
