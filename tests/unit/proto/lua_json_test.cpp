#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "proto/json_limits.hpp"
#include "proto/lua_json.hpp"
#include "proto/value_structure.hpp"

namespace {

using namespace redrund;
using namespace redrund::test;
using nlohmann::json;

// Encodes v, sends it through text and back, and checks the structure survived; returns the
// text so tests can also pin the form.
std::string round_trip(const value_list& list, const value& v) {
  const auto encoded = proto::encode_value(list, v);
  REQUIRE(encoded.ok());
  const std::string text = proto::dump_json(*encoded);
  const auto parsed = proto::parse_json_frame(text, {64u << 20, 100000});
  REQUIRE(parsed.ok());
  value_list back;
  const auto decoded = proto::decode_value(*parsed, back);
  INFO(text);
  REQUIRE(decoded.ok());
  structure_matcher matcher(list, back);
  const bool same = matcher.equal(v, *decoded);
  INFO(matcher.why());
  CHECK(same);
  return text;
}

std::string round_trip(const value& scalar) { return round_trip(value_list{}, scalar); }

// Decodes client JSON, expecting failure; returns "path: message".
std::string decode_error(const std::string& text, const proto::lua_json_limits& limits = {}) {
  value_list out;
  const auto decoded = proto::decode_value(json::parse(text), out, limits);
  REQUIRE_FALSE(decoded.ok());
  return decoded.error().describe();
}

}  // namespace

TEST_CASE("scalars round-trip with their JSON forms", "[proto]") {
  CHECK(round_trip(value{}) == "null");
  CHECK(round_trip(boolean(true)) == "true");
  CHECK(round_trip(boolean(false)) == "false");
  CHECK(round_trip(num(0)) == "0");
  CHECK(round_trip(num(-7)) == "-7");
  CHECK(round_trip(num(0.5)) == "0.5");
  CHECK(round_trip(num(0.1)) == "0.1");
  CHECK(round_trip(num(-0.0)) == "-0.0");
  CHECK(round_trip(num(9007199254740992.0)) == "9007199254740992");  // 2^53
  CHECK(round_trip(num(9007199254740994.0)) == "9007199254740994");
  CHECK(round_trip(num(-9223372036854775808.0)) == "-9223372036854775808");  // -2^63
  round_trip(num(9223372036854775808.0));  // 2^63: written as a float
  round_trip(num(1e300));
  round_trip(num(std::numeric_limits<double>::max()));
  round_trip(num(std::numeric_limits<double>::denorm_min()));
  round_trip(num(1.0 / 3));
  CHECK(round_trip(num(std::nan(""))) == R"({"$number":"nan"})");
  CHECK(round_trip(num(std::numeric_limits<double>::infinity())) == R"({"$number":"inf"})");
  CHECK(round_trip(num(-std::numeric_limits<double>::infinity())) == R"({"$number":"-inf"})");
}

TEST_CASE("byte strings: UTF-8 as strings, anything else as base64", "[proto]") {
  CHECK(round_trip(str("")) == R"("")");
  CHECK(round_trip(str("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E")) == "\"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E\"");
  CHECK(round_trip(str(std::string("a\0b", 3))) == R"("a\u0000b")");
  CHECK(round_trip(str("\xFF")) == R"({"$bytes":"/w=="})");
  round_trip(str("\xC0\x80"));      // overlong NUL
  round_trip(str("\xED\xA0\x80"));  // a surrogate
  round_trip(str("\xF4\x90\x80\x80"));  // past U+10FFFF
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string text = round_trip(str(all));
  CHECK(text.rfind(R"({"$bytes":"AAECAwQF)", 0) == 0);
  for (std::size_t length = 0; length < 7; ++length) round_trip(str(std::string(length, '\x80')));
}

TEST_CASE("tables take the plainest form that keeps them", "[proto]") {
  value_builder b;
  SECTION("empty") { CHECK(round_trip(b.list, b.table()) == "{}"); }
  SECTION("sequence") { CHECK(round_trip(b.list, b.sequence({num(1), str("two"), boolean(true)})) == R"([1,"two",true])"); }
  SECTION("string keys") {
    const value t = b.table();
    b.set(t, str("z"), num(1));
    b.set(t, str("a"), num(2));
    b.set(t, str(""), num(3));
    CHECK(round_trip(b.list, t) == R"({"":3,"a":2,"z":1})");
  }
  SECTION("a hole makes it a $table") {
    const value t = b.table();
    b.set(t, num(1), str("a"));
    b.set(t, num(3), str("c"));
    CHECK(round_trip(b.list, t) == R"({"$table":[[1,"a"],[3,"c"]]})");
  }
  SECTION("mixed keys, sorted: numbers, strings, booleans") {
    const value t = b.table();
    b.set(t, str("x"), num(1));
    b.set(t, boolean(true), num(2));
    b.set(t, num(2), num(3));
    b.set(t, num(1.5), num(4));
    b.set(t, boolean(false), num(5));
    b.set(t, num(-1), num(6));
    CHECK(round_trip(b.list, t) == R"({"$table":[[-1,6],[1.5,4],[2,3],["x",1],[false,5],[true,2]]})");
  }
  SECTION("keys starting with $ and non-UTF-8 keys") {
    const value t = b.table();
    b.set(t, str("$id"), num(1));
    b.set(t, str("plain"), num(2));
    CHECK(round_trip(b.list, t) == R"({"$table":[["$id",1],["plain",2]]})");
    const value u = b.table();
    b.set(u, str("\xFE"), num(1));
    CHECK(round_trip(b.list, u) == R"({"$table":[[{"$bytes":"/g=="},1]]})");
  }
  SECTION("a table as a key") {
    const value t = b.table();
    const value key = b.sequence({num(1)});
    b.set(t, key, str("v"));
    CHECK(round_trip(b.list, t) == R"({"$table":[[[1],"v"]]})");
  }
  SECTION("nested") {
    const value inner = b.sequence({num(1), b.sequence({num(2)})});
    const value t = b.table();
    b.set(t, str("list"), inner);
    b.set(t, str("empty"), b.table());
    CHECK(round_trip(b.list, t) == R"({"empty":{},"list":[1,[2]]})");
  }
}

TEST_CASE("shared sub-tables and cycles are written once and referenced", "[proto]") {
  value_builder b;
  SECTION("shared") {
    const value shared = b.sequence({num(1)});
    const value t = b.table();
    b.set(t, str("a"), shared);
    b.set(t, str("b"), shared);
    CHECK(round_trip(b.list, t) == R"({"a":{"$id":1,"$table":[[1,1]]},"b":{"$ref":1}})");
  }
  SECTION("self cycle") {
    const value t = b.table();
    b.set(t, str("self"), t);
    CHECK(round_trip(b.list, t) == R"({"$id":1,"$table":[["self",{"$ref":1}]]})");
  }
  SECTION("two-table cycle, and a shared table used as a key") {
    const value x = b.table();
    const value y = b.table();
    b.set(x, str("y"), y);
    b.set(y, str("x"), x);
    b.set(y, x, boolean(true));
    round_trip(b.list, x);
  }
  SECTION("a structural copy is not the same as sharing") {
    const value t = b.table();
    b.set(t, num(1), b.sequence({num(1)}));
    b.set(t, num(2), b.sequence({num(1)}));
    value_builder shared_version;
    const value s = shared_version.table();
    const value inner = shared_version.sequence({num(1)});
    shared_version.set(s, num(1), inner);
    shared_version.set(s, num(2), inner);
    structure_matcher matcher(b.list, shared_version.list);
    CHECK_FALSE(matcher.equal(t, s));
  }
}

TEST_CASE("value lists share ids across items", "[proto]") {
  value_builder b;
  const value shared = b.sequence({str("x")});
  b.list.items = {str("event"), shared, value{}, shared};
  const auto encoded = proto::encode_values(b.list);
  REQUIRE(encoded.ok());
  CHECK(encoded->dump() == R"(["event",{"$id":1,"$table":[[1,"x"]]},null,{"$ref":1}])");
  const auto decoded = proto::decode_values(*encoded);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->items.size() == 4);
  CHECK(decoded->items[1].table == decoded->items[3].table);
  structure_matcher matcher(b.list, *decoded);
  for (std::size_t i = 0; i < 4; ++i) CHECK(matcher.equal(b.list.items[i], decoded->items[i]));
}

TEST_CASE("encoding ignores entries Lua cannot hold and is deterministic", "[proto]") {
  value_builder b;
  const value t = b.table();
  b.set(t, str("b"), num(2));
  b.set(t, value{}, num(1));                // nil key
  b.set(t, str("gone"), value{});           // nil value
  b.set(t, num(std::nan("")), num(3));      // NaN key
  b.set(t, str("a"), num(1));
  const auto encoded = proto::encode_value(b.list, t);
  REQUIRE(encoded.ok());
  CHECK(encoded->dump() == R"({"a":1,"b":2})");
}

TEST_CASE("plain JSON from clients decodes naturally", "[proto]") {
  value_list out;
  const auto decoded = proto::decode_value(json::parse(R"({"list":[1,null,3],"gone":null,"n":1e2})"), out);
  REQUIRE(decoded.ok());
  const auto re = proto::encode_value(out, *decoded);
  REQUIRE(re.ok());
  CHECK(re->dump() == R"({"list":{"$table":[[1,1],[3,3]]},"n":100})");
  // A $ref may come before its $id in the text.
  value_list refs;
  const auto early = proto::decode_value(json::parse(R"([{"$ref":7},{"$id":7,"$table":[["k","v"]]}])"), refs);
  REQUIRE(early.ok());
  const auto& entries = refs.tables[early->table].entries;
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].second.table == entries[1].second.table);
}

TEST_CASE("malformed special forms are refused with a path", "[proto]") {
  CHECK(decode_error(R"({"$ref":1})") == "$ref 1 has no $id");
  CHECK(decode_error(R"([{"$id":1,"$table":[]},{"$id":1,"$table":[]}])") == "duplicate $id 1");
  CHECK(decode_error(R"({"x":{"$number":"NaN"}})") == R"(.x: $number must be "nan", "inf" or "-inf")");
  CHECK(decode_error(R"([{"$bytes":"!!"}])") == "[0]: $bytes must be a base64 string");
  CHECK(decode_error(R"({"$foo":1})").find("unknown form") != std::string::npos);
  CHECK(decode_error(R"({"$bytes":"","a":1})").find("unknown form") != std::string::npos);
  CHECK(decode_error(R"({"$table":{}})") == "$table must be an array of [key, value] pairs");
  CHECK(decode_error(R"({"$table":[[1]]})") == ".$table[0]: expected a [key, value] pair");
  CHECK(decode_error(R"({"$table":[[null,1]]})") == ".$table[0][0]: table key is nil");
  CHECK(decode_error(R"({"$table":[[{"$number":"nan"},1]]})") == ".$table[0][0]: table key is NaN");
  CHECK(decode_error(R"({"$table":[[1,"a"],[1.0,"b"]]})") == ".$table: duplicate table key");
  CHECK(decode_error(R"({"a b":[{"$id":"x","$table":[]}]})") == R"(["a b"][0]: $id must be an integer)");
}

TEST_CASE("decoding and encoding enforce the caps", "[proto]") {
  proto::lua_json_limits limits;
  limits.depth_max = 3;
  value_list ok_list;
  CHECK(proto::decode_value(json::parse("[[[1]]]"), ok_list, limits).ok());
  CHECK(decode_error("[[[[]]]]", limits) == "[0][0][0]: tables nested deeper than 3");
  limits = {};
  limits.values_max = 3;
  CHECK(decode_error("[1,2]", limits) == "more than 3 values");
  limits = {};
  limits.bytes_max = 20;
  CHECK(decode_error(R"(["0123456789abcdef"])", limits) == "[0]: more than 20 bytes");

  // A chain longer than any stack, from a buggy or hostile producer: refused, no crash.
  value_builder b;
  value top = b.table();
  value link = top;
  for (int i = 0; i < 100000; ++i) {
    const value next = b.table();
    b.set(link, num(1), next);
    link = next;
  }
  const auto deep = proto::encode_value(b.list, top);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message == "tables nested deeper than 256");
  value bad;
  bad.type = value::kind::table;
  bad.table = 99;
  CHECK_FALSE(proto::encode_value(value_list{}, bad).ok());
}
