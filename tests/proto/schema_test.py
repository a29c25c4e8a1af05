#!/usr/bin/env python3
"""The protocol's machine-readable files in proto/ and the prose that restates them:

- scenario.schema.json is valid JSON Schema, every shipped scenario (config/scenarios/*.json,
  tests/scenarios/**/*.json) conforms to it, and every example in tests/proto/invalid/ is
  rejected;
- errors.schema.json, the one table of error codes, is valid JSON Schema; README.md's table of
  error codes shows exactly its codes, names and meanings, in its order; every error code the
  notification schema names is one of them;
- methods.json is well-formed and lists exactly the methods of README.md's table.

Usage: schema_test.py REPOSITORY_ROOT"""
import glob
import json
import os
import re
import sys

import jsonschema


def load(root, *path):
    with open(os.path.join(root, *path), encoding="utf-8") as f:
        return json.load(f)


def checked_schema(schema):
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def check_scenarios(root, failures):
    validator = checked_schema(load(root, "proto", "scenario.schema.json"))
    valid = sorted(glob.glob(os.path.join(root, "config", "scenarios", "*.json")) +
                   glob.glob(os.path.join(root, "tests", "scenarios", "**", "*.json"), recursive=True))
    invalid = sorted(glob.glob(os.path.join(root, "tests", "proto", "invalid", "*.json")))
    if not valid or not invalid:
        failures.append("no scenarios found under " + root)
    for path in valid:
        with open(path, encoding="utf-8") as f:
            errors = list(validator.iter_errors(json.load(f)))
        for e in errors:
            failures.append(f"{os.path.relpath(path, root)}: {e.json_path}: {e.message}")
    for path in invalid:
        with open(path, encoding="utf-8") as f:
            if validator.is_valid(json.load(f)):
                failures.append(f"{os.path.relpath(path, root)}: accepted, but is an invalid example")
    print(f"{len(valid)} valid and {len(invalid)} invalid scenarios checked")


def readme_table(readme, heading):
    """The rows of the first table after `## heading`, as lists of stripped cells."""
    section = readme.split("\n## " + heading + "\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]  # after header, rule


def code_constants(schema):
    """Every constant the schema allows for an `error.code` member, wherever it is."""
    found = []
    if isinstance(schema, dict):
        code = schema.get("properties", {}).get("code")
        if isinstance(code, dict):
            found += [code["const"]] if "const" in code else []
            found += code.get("enum", [])
        for value in schema.values():
            found += code_constants(value)
    elif isinstance(schema, list):
        for value in schema:
            found += code_constants(value)
    return found


def check_errors(root, readme, failures):
    schema = load(root, "proto", "errors.schema.json")
    validator = checked_schema(schema)
    entries = schema["oneOf"]
    for e in entries:
        if set(e) != {"const", "title", "description"} or not isinstance(e["const"], int):
            failures.append(f"errors.schema.json: {e}: expected an integer const, a title and a description")
    codes = [e["const"] for e in entries]
    if len(set(codes)) != len(codes) or len({e["title"] for e in entries}) != len(entries):
        failures.append("errors.schema.json: a code or a title is repeated")
    expected = [[str(e["const"]), f"`{e['title']}`", e["description"]] for e in entries]
    table = readme_table(readme, "Error codes")
    if table != expected:
        failures.append("proto/README.md: the error codes table differs from errors.schema.json:\n  " +
                        "\n  ".join(f"{'README' if row in table else 'schema'}: {row}"
                                    for row in [r for r in table if r not in expected] +
                                    [r for r in expected if r not in table]))
    for code in code_constants(load(root, "proto", "notifications.schema.json")):
        if not validator.is_valid(code):
            failures.append(f"notifications.schema.json: error code {code} is not in errors.schema.json")
    if not validator.is_valid(-32601) or validator.is_valid(-32099) or validator.is_valid("-32601"):
        failures.append("errors.schema.json: does not accept exactly its codes")
    print(f"{len(entries)} error codes checked")


METHOD_KEYS = {"name", "access", "params", "one_of"}
PARAM_KEYS = {"name", "type", "required", "credential", "minimum", "maximum", "enum", "items", "minItems",
              "maxItems", "params"}
PARAM_TYPES = {"string", "integer", "number", "boolean", "array", "object", "lua-value"}


def param_problems(where, param):
    problems = []
    if not PARAM_KEYS.issuperset(param) or param.get("type") not in PARAM_TYPES or \
            not isinstance(param.get("name"), str) or not isinstance(param.get("required", True), bool):
        problems.append(f"{where}: {param}: unknown key or type, or no name")
    item = param.get("items")
    if item is not None and (param["type"] != "array" or not isinstance(item, dict)):
        problems.append(f"{where}: `items` on a param that is not an array")
    nested = param.get("params", []) + (item or {}).get("params", [])
    for p in nested:
        problems += param_problems(f"{where}.{param.get('name')}", p)
    return problems


def check_methods(root, readme, failures):
    methods = load(root, "proto", "methods.json")["methods"]
    for m in methods:
        if not METHOD_KEYS.issuperset(m) or m.get("access") not in ("none", "token", "admin", "computer"):
            failures.append(f"methods.json: {m.get('name')}: unknown key or access")
        for p in m.get("params", []):
            failures.extend(param_problems("methods.json: " + str(m.get("name")), p))
        names = [p["name"] for p in m.get("params", [])]
        if not set(m.get("one_of", [])).issubset(names) or len(set(names)) != len(names):
            failures.append(f"methods.json: {m.get('name')}: repeated params, or one_of names an unknown one")
    listed = sorted(m.get("name") for m in methods)
    documented = sorted(name for row in readme_table(readme, "Methods") for name in re.findall(r"`([a-z.]+)`", row[0]))
    if listed != documented:
        failures.append(f"methods.json lists {sorted(set(listed) - set(documented))} that proto/README.md does not, "
                        f"and misses {sorted(set(documented) - set(listed))}, or one is repeated")
    print(f"{len(methods)} methods checked")


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "proto", "README.md"), encoding="utf-8") as f:
        readme = f.read()
    failures = []
    check_scenarios(root, failures)
    check_errors(root, readme, failures)
    check_methods(root, readme, failures)
    for line in failures:
        print("FAIL:", line)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
