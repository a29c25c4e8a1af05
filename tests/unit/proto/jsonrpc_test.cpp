#include <catch2/catch.hpp>

#include <string>

#include "proto/jsonrpc.hpp"
#include "proto/jsonrpc_params.hpp"

namespace {

using namespace redrund::proto;
using nlohmann::json;

// The one error response a frame produced.
json only_response(const incoming_frame& frame) {
  REQUIRE(frame.requests.empty());
  REQUIRE(frame.responses.size() == 1);
  return frame.responses.front();
}

int code_of(const json& response) { return response.at("error").at("code").get<int>(); }

}  // namespace

TEST_CASE("requests and notifications decode", "[proto]") {
  const incoming_frame frame =
      decode_frame(R"j({"jsonrpc":"2.0","method":"run","params":{"code":"print(1)"},"id":7})j");
  CHECK_FALSE(frame.is_batch);
  REQUIRE(frame.requests.size() == 1);
  CHECK(frame.responses.empty());
  const request& r = frame.requests.front();
  CHECK(r.method == "run");
  CHECK(r.params == json{{"code", "print(1)"}});
  REQUIRE(r.id.has_value());
  CHECK(*r.id == 7);

  const auto positional = decode_frame(R"({"jsonrpc":"2.0","method":"m","params":[1,2],"id":"abc"})");
  REQUIRE(positional.requests.size() == 1);
  CHECK(positional.requests[0].params.is_array());
  CHECK(*positional.requests[0].id == "abc");

  const auto null_id = decode_frame(R"({"jsonrpc":"2.0","method":"m","id":null})");
  REQUIRE(null_id.requests.size() == 1);
  CHECK_FALSE(null_id.requests[0].is_notification());
  CHECK(null_id.requests[0].params.is_null());

  const auto notification = decode_frame(R"({"jsonrpc":"2.0","method":"tick"})");
  REQUIRE(notification.requests.size() == 1);
  CHECK(notification.requests[0].is_notification());
}

TEST_CASE("frame-level errors: parse, size, depth, shape", "[proto]") {
  const json parse = only_response(decode_frame(R"({"jsonrpc":"2.0",)"));
  CHECK(code_of(parse) == -32700);
  CHECK(parse["id"].is_null());
  CHECK(parse["error"]["data"]["offset"] == 17);

  rpc_limits limits;
  limits.json.frame_bytes_max = 16;
  CHECK(code_of(only_response(decode_frame(R"({"jsonrpc":"2.0","method":"m"})", limits))) == -32005);
  CHECK(code_of(only_response(decode_frame(std::string(1000, '[')))) == -32005);

  CHECK(code_of(only_response(decode_frame("1"))) == -32600);
  const incoming_frame empty = decode_frame("[]");
  CHECK_FALSE(empty.is_batch);
  CHECK(code_of(only_response(empty)) == -32600);

  limits = {};
  limits.batch_max = 2;
  CHECK(code_of(only_response(decode_frame("[1,2,3]", limits))) == -32005);
}

TEST_CASE("invalid requests name the problem and keep a well-formed id", "[proto]") {
  const auto error_for = [](const std::string& text) { return only_response(decode_frame(text)); };
  json e = error_for(R"({"jsonrpc":"1.0","method":"m","id":3})");
  CHECK(code_of(e) == -32600);
  CHECK(e["id"] == 3);
  CHECK(e["error"]["message"] == "invalid request: jsonrpc must be \"2.0\"");
  e = error_for(R"({"method":"m","id":"x"})");
  CHECK(e["id"] == "x");
  e = error_for(R"({"jsonrpc":"2.0","method":1,"params":"bar"})");
  CHECK(e["id"].is_null());
  CHECK(e["error"]["message"] == "invalid request: method must be a string");
  e = error_for(R"({"jsonrpc":"2.0","method":"m","params":"bar","id":1})");
  CHECK(e["error"]["message"] == "invalid request: params must be an object or an array");
  e = error_for(R"({"jsonrpc":"2.0","method":"m","id":{"a":1}})");
  CHECK(e["id"].is_null());
  CHECK(e["error"]["message"] == "invalid request: id must be a string, a number or null");
  e = error_for(R"({"jsonrpc":"2.0","method":"m","param":{},"id":1})");
  CHECK(e["error"]["message"] == "invalid request: unknown member \"param\"");
}

TEST_CASE("batches: each entry on its own, all-notification batches get no reply", "[proto]") {
  const incoming_frame frame = decode_frame(
      R"([{"jsonrpc":"2.0","method":"a","id":1},1,{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"2.0"}])");
  CHECK(frame.is_batch);
  REQUIRE(frame.requests.size() == 2);
  CHECK(frame.requests[0].method == "a");
  CHECK(frame.requests[1].method == "b");
  REQUIRE(frame.responses.size() == 2);
  CHECK(code_of(frame.responses[0]) == -32600);

  std::vector<json> replies = frame.responses;
  replies.push_back(make_result(1, "ok"));
  const json sent = json::parse(encode_reply(frame.is_batch, replies));
  CHECK(sent.is_array());
  CHECK(sent.size() == 3);

  const incoming_frame notes = decode_frame(R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}])");
  CHECK(notes.requests.size() == 2);
  CHECK(encode_reply(notes.is_batch, notes.responses).empty());
}

TEST_CASE("responses, errors and notifications are built to the spec", "[proto]") {
  CHECK(make_result("a", json{{"x", 1}}).dump() == R"({"id":"a","jsonrpc":"2.0","result":{"x":1}})");
  CHECK(make_error(nullptr, rpc_error::method_not_found("nope")).dump() ==
        R"({"error":{"code":-32601,"message":"method not found: nope"},"id":null,"jsonrpc":"2.0"})");
  const rpc_error lua{error_code::lua_error, "startup:3: boom \xFF", json{{"traceback", "..."}}};
  const std::string text = encode_reply(false, {make_error(4, lua)});
  CHECK(json::parse(text)["error"]["code"] == -32000);
  CHECK(json::parse(text)["error"]["data"]["traceback"] == "...");
  CHECK(make_notification("event", json::array({1})).dump() == R"({"jsonrpc":"2.0","method":"event","params":[1]})");
  CHECK(make_notification("ping", nullptr).dump() == R"({"jsonrpc":"2.0","method":"ping"})");
  CHECK(static_cast<int>(error_code::invalid_params) == -32602);
  CHECK(static_cast<int>(error_code::internal_error) == -32603);
  CHECK(static_cast<int>(error_code::not_attached) == -32001);
  CHECK(static_cast<int>(error_code::unauthorized) == -32002);
  CHECK(static_cast<int>(error_code::not_found) == -32003);
  CHECK(static_cast<int>(error_code::overloaded) == -32004);
}

TEST_CASE("params_reader: typed reads with field paths", "[proto]") {
  const json params = json::parse(
      R"j({"code":"print(1)","ticks":20,"whole":3.0,"pos":[1,2.5,-3],"flag":true,"args":["x",{"$number":"inf"}],
          "ratio":0.25,"skip":null})j");
  params_reader p(params);
  CHECK(p.require_string("code") == "print(1)");
  CHECK(p.optional_int("ticks", 0, 100) == 20);
  CHECK(p.require_int("whole", 0, 10) == 3);
  CHECK(p.optional_int("absent", 0, 10) == std::nullopt);
  CHECK(p.optional_string("skip") == std::nullopt);
  CHECK(p.require_vec3("pos") == std::array<double, 3>{1, 2.5, -3});
  CHECK(p.optional_bool("flag") == true);
  CHECK(p.optional_number("ratio", 0, 1) == 0.25);
  const auto args = p.require_values("args");
  REQUIRE(args.has_value());
  CHECK(args->items.size() == 2);
  p.reject_unknown({"code", "ticks", "whole", "pos", "flag", "args", "ratio", "skip"});
  CHECK(p.ok());

  const auto first_error = [](const json& bad, auto read) {
    params_reader reader(bad);
    read(reader);
    REQUIRE_FALSE(reader.ok());
    CHECK(reader.error().code == error_code::invalid_params);
    return reader.error().message;
  };
  CHECK(first_error(json::object(), [](auto& r) { r.require_string("code"); }) == "params.code: required");
  CHECK(first_error(json{{"code", 1}}, [](auto& r) { r.require_string("code"); }) == "params.code: expected a string");
  CHECK(first_error(json{{"position", {1, 2}}}, [](auto& r) { r.require_vec3("position"); }) ==
        "params.position: expected 3 numbers");
  CHECK(first_error(json{{"ticks", 1.5}}, [](auto& r) { r.optional_int("ticks", 0, 10); }) ==
        "params.ticks: expected an integer in [0, 10]");
  CHECK(first_error(json{{"ticks", 11}}, [](auto& r) { r.optional_int("ticks", 0, 10); }) ==
        "params.ticks: expected an integer in [0, 10]");
  CHECK(first_error(json{{"ticks", 1e300}}, [](auto& r) { r.optional_int("ticks", 0, 10); }) ==
        "params.ticks: expected an integer in [0, 10]");
  CHECK(first_error(json{{"extra", 1}}, [](auto& r) { r.reject_unknown({"code"}); }) ==
        "params.extra: unknown parameter");
  CHECK(first_error(json{{"args", {1, {{"$ref", 2}}}}}, [](auto& r) { r.require_values("args"); }) ==
        "params.args[1]: $ref 2 has no $id");
  CHECK(first_error(json::array({1}), [](auto& r) { r.optional_string("x"); }) ==
        "params: expected an object of named parameters");
  // The first problem wins; later reads do not overwrite it.
  CHECK(first_error(json::object(), [](auto& r) {
          r.require_string("a");
          r.require_string("b");
        }) == "params.a: required");
  params_reader absent(json(nullptr));
  CHECK(absent.optional_string("x") == std::nullopt);
  CHECK(absent.ok());
}
