#pragma once

// DATA/world.json of `redrund serve`: a scenario document (proto/scenario.md) holding the
// world's computers, plus `next_id`, the id the next created computer gets (ids are never
// given out twice). It is read record by record, so that a computer record the daemon
// cannot read is set aside (kept in DATA/world.rejected.jsonl, one JSON line per record)
// instead of keeping the whole world from loading.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/scenario.hpp"

namespace redrund {

// A computer record of world.json that cannot be loaded, as it was written.
struct rejected_record {
  std::string path;                   // "computers[3]"
  nlohmann::json record;              // the record itself
  std::vector<std::string> problems;  // "computers[3].label: ...", one per problem
};

struct world_document {
  std::vector<scenario_computer> computers;  // the readable records, in id order
  std::vector<rejected_record> rejected;
  std::optional<std::uint64_t> next_id;  // as saved, when it was valid
  std::vector<std::string> warnings;      // problems the reader recovered from
};

struct world_document_result {
  std::optional<world_document> value;
  // Why the document as a whole cannot be used: malformed JSON, or members this version
  // does not know (a newer redrund wrote it: refusing keeps a downgrade from dropping data).
  std::vector<std::string> errors;
};

world_document_result read_world_document(std::string_view text);

// One computer's record: what `redrund serve` keeps of it.
nlohmann::json world_record(const scenario_computer& spec, const placement& where, const std::string& label);
// world.json's whole text, from the computers' records.
std::string world_document_text(nlohmann::json records, std::uint64_t next_id);
// A rejected record as one line of world.rejected.jsonl (newline included).
std::string rejected_line(const rejected_record& rejected);
// A rejected record's id as written ("7", "2147483648"), or "none".
std::string rejected_id_text(const rejected_record& rejected);

}  // namespace redrund
