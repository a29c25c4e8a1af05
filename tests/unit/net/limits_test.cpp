// The network module's pure pieces: line framing and the per-connection token bucket.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "net/line_framer.hpp"
#include "net/token_bucket.hpp"

namespace {

using redrund::net::line_framer;
using redrund::net::token_bucket;

struct framed {
  std::vector<std::string> lines;
  int oversized = 0;
};

void feed(line_framer& framer, framed& out, const std::string& bytes) {
  framer.feed(bytes, [&](std::string&& line) { out.lines.push_back(std::move(line)); },
              [&] { ++out.oversized; });
}

}  // namespace

TEST_CASE("line_framer joins pieces, strips CR and skips blank lines", "[net]") {
  line_framer framer(16);
  framed out;
  feed(framer, out, "hel");
  feed(framer, out, "lo\r\n\nworld\n");
  feed(framer, out, "tail");
  CHECK(out.lines == std::vector<std::string>{"hello", "world"});
  CHECK(out.oversized == 0);
}

TEST_CASE("line_framer discards the rest of an oversized line and recovers", "[net]") {
  line_framer framer(8);
  framed out;
  feed(framer, out, "12345678\r\n");  // exactly at the limit, CR not counted
  feed(framer, out, "123456789");      // one over, still unterminated
  feed(framer, out, std::string(100, 'x'));
  feed(framer, out, "yy\nok\n");
  CHECK(out.lines == std::vector<std::string>{"12345678", "ok"});
  CHECK(out.oversized == 1);
  feed(framer, out, "123456789\r\n");  // over the limit even after the CR goes
  CHECK(out.oversized == 2);
}

TEST_CASE("token_bucket allows a burst, then the refill rate", "[net]") {
  const auto start = token_bucket::clock::now();
  token_bucket bucket(10.0, 3.0, start);
  int passed = 0;
  for (int i = 0; i < 10; ++i) passed += bucket.try_take(start) ? 1 : 0;
  CHECK(passed == 3);
  CHECK(bucket.try_take(start + std::chrono::milliseconds(100)));   // one token per 100 ms
  CHECK_FALSE(bucket.try_take(start + std::chrono::milliseconds(150)));
  token_bucket unlimited(0.0, 1.0, start);
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.try_take(start));
}
