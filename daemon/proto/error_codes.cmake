# proto::error_code is generated from proto/errors.schema.json, the one table of the
# protocol's error codes (the README's table and the tests read the same file), so the daemon's
# codes cannot drift from the documented ones.

# Writes OUTPUT, a header defining `enum class redrund::proto::error_code` with one enumerator
# per entry of SCHEMA's `oneOf` (`title` = `const`, `description` as its comment). The file is
# rewritten only when its text changes, and editing SCHEMA reruns the configure step.
function(redrund_generate_error_codes schema output)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${schema}")
  file(READ "${schema}" text)
  string(JSON count ERROR_VARIABLE problem LENGTH "${text}" oneOf)
  if(problem)
    message(FATAL_ERROR "${schema}: no oneOf array of error codes (${problem})")
  endif()
  if(count EQUAL 0)
    message(FATAL_ERROR "${schema}: the oneOf array of error codes is empty")
  endif()
  set(enumerators "")
  set(seen_names "")
  set(seen_codes "")
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    string(JSON name ERROR_VARIABLE problem GET "${text}" oneOf ${index} title)
    string(JSON code ERROR_VARIABLE code_problem GET "${text}" oneOf ${index} const)
    string(JSON meaning ERROR_VARIABLE meaning_problem GET "${text}" oneOf ${index} description)
    if(problem OR code_problem OR meaning_problem)
      message(FATAL_ERROR "${schema}: oneOf[${index}] needs const, title and description")
    endif()
    # The title becomes a C++ identifier and the const an int literal, so both are checked
    # here rather than left to a confusing compile error.
    if(NOT name MATCHES "^[a-z][a-z0-9_]*$")
      message(FATAL_ERROR "${schema}: oneOf[${index}].title \"${name}\" is not a snake_case name")
    endif()
    if(NOT code MATCHES "^-?[0-9]+$")
      message(FATAL_ERROR "${schema}: oneOf[${index}].const \"${code}\" is not an integer")
    endif()
    if(name IN_LIST seen_names OR code IN_LIST seen_codes)
      message(FATAL_ERROR "${schema}: oneOf[${index}] repeats the name ${name} or the code ${code}")
    endif()
    list(APPEND seen_names "${name}")
    list(APPEND seen_codes "${code}")
    # One line per comment: a newline or a trailing backslash in the meaning would end or
    # continue the `//` comment.
    string(REPLACE "\n" " " meaning "${meaning}")
    string(REPLACE "\\" "/" meaning "${meaning}")
    string(APPEND enumerators "  ${name} = ${code},  // ${meaning}\n")
  endforeach()
  file(RELATIVE_PATH source "${CMAKE_SOURCE_DIR}" "${schema}")
  file(CONFIGURE OUTPUT "${output}" @ONLY CONTENT [=[#pragma once

// Generated at configure time by daemon/proto/error_codes.cmake from
// @source@: edit that table, not this file.

namespace redrund::proto {

// JSON-RPC 2.0's codes, then ours from its "server error" range -32000..-32099.
enum class error_code : int {
@enumerators@};

}  // namespace redrund::proto
]=])
endfunction()
