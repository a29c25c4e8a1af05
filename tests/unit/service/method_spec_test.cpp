// proto/methods.json is the machine-readable list of the daemon's JSON-RPC methods; these
// checks keep it and the daemon's method tables (service/method_table.hpp) the same both ways,
// so that neither can gain, lose or change a method or a parameter alone.

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/method_table.hpp"

namespace {

using nlohmann::json;
using redrund::lua_argument;
using redrund::method_entry;
using kind = lua_argument::kind;

const json& methods_json() {
  static const json methods = [] {
    std::ifstream in(std::filesystem::path(REDRUND_PROTO_DIR) / "methods.json");
    REQUIRE(in);
    return json::parse(in).at("methods");
  }();
  return methods;
}

const json* documented(std::string_view name) {
  for (const json& m : methods_json())
    if (m.at("name") == name) return &m;
  return nullptr;
}

// A computer id as the daemon reads `id` (rpc_service::attached_computer and the world methods).
json computer_id_param() {
  return {{"name", "id"}, {"type", "integer"}, {"required", true}, {"minimum", 0}, {"maximum", redrund::computer_id_max}};
}

// One argument of a Lua-backed method as methods.json writes the param it is read from.
json describe(const lua_argument& a) {
  json param{{"name", std::string(a.field)}, {"required", a.required}};
  switch (a.type) {
    case kind::string:
    case kind::chunk: param["type"] = "string"; break;
    case kind::integer:
      param["type"] = "integer";
      param["minimum"] = static_cast<std::int64_t>(a.min);
      param["maximum"] = static_cast<std::int64_t>(a.max);
      break;
    case kind::number:
      param["type"] = "number";
      param["minimum"] = a.min;
      param["maximum"] = a.max;
      break;
    case kind::boolean: param["type"] = "boolean"; break;
    case kind::lua_value: param["type"] = "lua-value"; break;
    case kind::lua_values:
      param["type"] = "array";
      param["items"] = {{"type", "lua-value"}};
      break;
  }
  return param;
}

// A documented param without what the argument table does not hold: `enum` is checked by the
// method's handler (task.start's restart), and the contract test checks it through the daemon.
json without_handler_checks(json param) {
  param.erase("enum");
  return param;
}

// Every param named `id`, at any depth (computer.attach's create has none, but would be found).
void collect_id_params(const json& params, std::vector<json>& out) {
  for (const json& p : params) {
    if (p.at("name") == "id") out.push_back(p);
    if (p.contains("params")) collect_id_params(p.at("params"), out);
  }
}

}  // namespace

TEST_CASE("methods.json lists exactly the methods the daemon serves", "[service]") {
  std::multiset<std::string> served;
  for (const auto* list : {&redrund::session_method_list(), &redrund::lua_method_list()})
    for (const method_entry& m : *list) served.insert(std::string(m.name));
  std::multiset<std::string> listed;
  for (const json& m : methods_json()) listed.insert(m.at("name").get<std::string>());
  CHECK(listed == served);  // multisets: a name listed or served twice fails too
  CHECK(redrund::find_method("no.such") == nullptr);
}

TEST_CASE("methods.json gives each Lua-backed method's params as the daemon reads them", "[service]") {
  for (const method_entry& m : redrund::lua_method_list()) {
    INFO(m.name);
    const json* doc = documented(m.name);
    REQUIRE(doc != nullptr);
    CHECK(doc->at("access") == "computer");
    json expected = json::array({computer_id_param()});
    for (const lua_argument& a : m.arguments) expected.push_back(describe(a));
    json actual = json::array();
    for (const json& p : doc->at("params")) actual.push_back(without_handler_checks(p));
    CHECK(actual == expected);
  }
}

TEST_CASE("a list of values comes last, after arguments that hold no tables", "[service]") {
  // read_argument places the list's values after the arguments before it; a table in those
  // would point into the wrong value list.
  for (const method_entry& m : redrund::lua_method_list()) {
    for (std::size_t i = 0; i < m.arguments.size(); ++i) {
      if (m.arguments[i].type != kind::lua_values) continue;
      INFO(m.name);
      CHECK(i + 1 == m.arguments.size());
      for (std::size_t j = 0; j < i; ++j) CHECK(m.arguments[j].type != kind::lua_value);
    }
  }
}

TEST_CASE("methods.json bounds every computer id as the daemon does", "[service]") {
  std::vector<json> ids;
  for (const json& m : methods_json()) collect_id_params(m.at("params"), ids);
  REQUIRE(ids.size() == methods_json().size() - 1);  // every method but world.list
  for (json id : ids) {
    INFO(id.dump());
    id["required"] = true;  // computer.attach's is one of three ways to name the computer
    CHECK(id == computer_id_param());
  }
}
