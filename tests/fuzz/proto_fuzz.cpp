// libFuzzer harness for the protocol decoder and the Lua value codec (design guide §8.6).
// ctest replays it over tests/data/json-parsing (replay_main.cpp). To fuzz, with clang and
// libFuzzer (from the repository root after a build in build/, whose configure step generates
// the error-code header from proto/errors.schema.json; one command line):
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I daemon -I tests/unit
//     -I build/daemon/proto/generated tests/fuzz/proto_fuzz.cpp daemon/proto/*.cpp daemon/core/*.cpp -o proto_fuzz
//   mkdir -p fuzz-corpus && ./proto_fuzz -max_total_time=60 fuzz-corpus tests/data/json-parsing
//
// Properties: nothing crashes; a frame decodes to requests or error responses; any JSON the
// value decoder accepts re-encodes, and the re-encoding decodes to the same structure.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/json_limits.hpp"
#include "proto/jsonrpc.hpp"
#include "proto/lua_json.hpp"
#include "proto/value_structure.hpp"

using namespace redrund;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const proto::incoming_frame frame = proto::decode_frame(text);
  if (frame.requests.empty() && frame.responses.empty()) std::abort();

  const auto parsed = proto::parse_json_frame(text);
  if (!parsed) return 0;
  value_list first;
  const auto decoded = proto::decode_value(*parsed, first);
  if (!decoded) return 0;
  const auto encoded = proto::encode_value(first, *decoded);
  if (!encoded) std::abort();  // what decodes within the caps must encode within them
  const auto reparsed = proto::parse_json_frame(proto::dump_json(*encoded), {64u << 20, 1u << 20});
  if (!reparsed) std::abort();
  value_list second;
  const auto again = proto::decode_value(*reparsed, second);
  if (!again) std::abort();
  test::structure_matcher matcher(first, second);
  if (!matcher.equal(*decoded, *again)) std::abort();
  return 0;
}
