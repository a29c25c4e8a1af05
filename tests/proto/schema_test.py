#!/usr/bin/env python3
"""proto/scenario.schema.json: the schema is valid JSON Schema, every shipped scenario
(config/scenarios/*.json, tests/scenarios/**/*.json) conforms to it, and every example in
tests/proto/invalid/ is rejected. Usage: schema_test.py REPOSITORY_ROOT"""
import glob
import json
import os
import sys

import jsonschema


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "proto", "scenario.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    failures = []
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

    for line in failures:
        print("FAIL:", line)
    print(f"{len(valid)} valid and {len(invalid)} invalid examples checked, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
