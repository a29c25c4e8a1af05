#!/usr/bin/env python3
"""Error codes are part of the contract: every JSON-RPC method of a real `redrund serve`, over
TCP, answers bad calls with the code and message proto/ documents.

proto/methods.json says what each method takes; from it this test derives, for every method,
calls with each required param missing, each param of a JSON type it does not take, numbers
out of bounds, strings outside their enum, arrays too short, too long or with a bad item, and
the same inside nested objects (computer.attach's create and its modems): each must be -32602
naming the param. Methods on a computer must answer -32001 for one that does not exist and for
one the client has not attached to, alike; credentials must be checked (-32002), and unknown
computers and labels found out (-32003); misspelt method names are -32601. Codes are looked up
by name in proto/errors.schema.json, and every error code received must be one of its codes.
After each test the daemon must still answer a valid call.

Usage: contract_test.py REDRUND
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# serve_test's daemon and client helpers take the daemon's path from sys.argv[1].
from serve_test import ADMIN, PROTO, TOKEN, Daemon, TcpClient  # noqa: E402


def load_proto(name):
    with open(os.path.join(PROTO, name), encoding="utf-8") as f:
        return json.load(f)


ERRORS_SCHEMA = load_proto("errors.schema.json")
jsonschema.Draft202012Validator.check_schema(ERRORS_SCHEMA)
ERROR_CODES = jsonschema.Draft202012Validator(ERRORS_SCHEMA)
CODE = {entry["title"]: entry["const"] for entry in ERRORS_SCHEMA["oneOf"]}
METHODS = load_proto("methods.json")["methods"]

ATTACHED, UNATTACHED, NONEXISTENT = 1, 2, 424242  # the client attaches to 1 only; 2 exists
CONFIG = {
    # Hundreds of calls in a row: far above the default rate limit.
    "net": {"messages_per_second": 1e6, "burst_messages": 1e6},
    "world": {"computers": [{"id": ATTACHED, "label": "contract-attached", "position": [0, 64, 0]},
                            {"id": UNATTACHED, "label": "contract-other", "position": [8, 64, 0]}]},
}
MISSING = object()  # a param left out

# One value of each JSON type; a param must refuse those of the types it does not take.
SAMPLES = {"string": "x", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}
ACCEPTED_TYPES = {"number": {"integer", "number"}, "lua-value": set(SAMPLES)}


def example(method, param):
    """A valid value for the param: the calls below get one wrong thing at a time."""
    if param.get("credential"):
        return ADMIN if method["access"] == "admin" else TOKEN
    if param.get("name") == "id" and method["access"] == "computer":
        return ATTACHED
    kind = param["type"]
    if "enum" in param:
        return param["enum"][0]
    if kind in ("integer", "number"):
        return param.get("minimum", 0)
    if kind == "array":
        return [example(method, param["items"])] * param.get("minItems", 0)
    if kind == "object":
        return {p["name"]: example(method, p) for p in param.get("params", []) if p["required"]}
    return {"string": "x", "boolean": False, "lua-value": "x"}[kind]


def refused_values(method, param, path):
    """(value, path the message must name, what is wrong) for every value the param must refuse;
    the value MISSING means the param is left out."""
    if param.get("required"):
        yield MISSING, path, "missing"
    accepted = ACCEPTED_TYPES.get(param["type"], {param["type"]})
    for kind, value in SAMPLES.items():
        if kind not in accepted:
            yield value, path, "of type " + kind
    if "minimum" in param:
        yield param["minimum"] - 1, path, "below its minimum"
    if "maximum" in param:
        yield param["maximum"] + 1, path, "above its maximum"
    if "enum" in param:
        yield "not-" + param["enum"][0], path, "outside its enum"
    if param["type"] == "object":
        for member in param.get("params", []):
            for value, where, what in refused_values(method, member, f"{path}.{member['name']}"):
                container = example(method, param)
                if value is MISSING:
                    container.pop(member["name"], None)
                else:
                    container[member["name"]] = value
                yield container, where, f"{member['name']} {what}"
    if param["type"] == "array":
        item = param["items"]
        if param.get("minItems", 0) > 0:
            yield [example(method, item)] * (param["minItems"] - 1), path, "too short"
        if "maxItems" in param:
            yield [example(method, item)] * (param["maxItems"] + 1), path, "too long"
        others = [example(method, item)] * max(param.get("minItems", 0) - 1, 0)
        for value, where, what in refused_values(method, dict(item, required=False), path + "[0]"):
            # An item's own problem may be told about the item or the array (`expected 3 numbers`).
            yield [value] + others, path if where == path + "[0]" else where, "an item " + what


def base_params(method, focus=None):
    """Valid params for the method: its required ones, and of its `one_of` the focus or the first."""
    params = {p["name"]: example(method, p) for p in method["params"] if p["required"] or p["name"] == focus}
    alternatives = method.get("one_of", [])
    if alternatives and focus not in alternatives:
        chosen = next(p for p in method["params"] if p["name"] == alternatives[0])
        params[chosen["name"]] = example(method, chosen)
    return params


def names(message, path):
    """The message is about `path` (or a member or item of it)."""
    return message.startswith(path) and message[len(path):len(path) + 1] in (":", ".", "[")


class ContractTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.TemporaryDirectory()
        config = os.path.join(cls.data.name, "contract.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(CONFIG, f)
        cls.daemon = Daemon(os.path.join(cls.data.name, "state"), ["--config", config])
        cls.client = TcpClient(cls.daemon.tcp)
        cls.next_id = 0
        attached = cls.call("computer.attach", {"token": TOKEN, "id": ATTACHED, "events": ["none"]})
        assert attached.get("result", {}).get("id") == ATTACHED, attached

    @classmethod
    def tearDownClass(cls):
        cls.client.sock.close()
        code = cls.daemon.stop() if cls.daemon.process.poll() is None else cls.daemon.process.returncode
        cls.data.cleanup()
        assert code == 0, f"the daemon exited with {code}"

    @classmethod
    def call(cls, method, params):
        cls.next_id += 1
        try:
            return cls.client.call(method, request_id=cls.next_id, **params)
        except (OSError, ValueError) as e:  # the connection closed: an empty line is not JSON
            try:
                code = cls.daemon.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            raise AssertionError(f"no answer to {method} {json.dumps(params)} ({e}); the daemon's exit code: {code}; "
                                 "its log:\n" + "".join(cls.daemon.log[-20:])) from None

    def tearDown(self):
        # Whatever came before, the daemon still serves, and no refused call created a computer.
        self.assertIsNone(self.daemon.process.poll(), "".join(self.daemon.log[-20:]))
        answer = self.call("lua.eval", {"id": ATTACHED, "code": "return 6 * 7"})
        self.assertEqual(answer.get("result"), [42], answer)
        listed = self.call("world.list", {})
        self.assertEqual(sorted(c["id"] for c in listed["result"]["computers"]), [ATTACHED, UNATTACHED], listed)

    def expect_error(self, method, params, code_name, message_check):
        if self.daemon.process.poll() is not None:
            return  # it died answering an earlier case, which failed; tearDown fails the test too
        answer = self.call(method, params)
        context = f"{method} {json.dumps(params)} -> {json.dumps(answer)}"
        self.assertIn("error", answer, context)
        self.assertTrue(ERROR_CODES.is_valid(answer["error"]["code"]), "not in errors.schema.json: " + context)
        self.assertEqual(answer["error"]["code"], CODE[code_name], context)
        self.assertTrue(message_check(answer["error"]["message"]), context)

    def test_misspelt_method_names_are_not_found(self):
        for method in METHODS:
            namespace, _, verb = method["name"].partition(".")
            for wrong in (method["name"] + "x", method["name"].upper(), namespace, verb, namespace + ". " + verb):
                with self.subTest(wrong):
                    self.expect_error(wrong, base_params(method), "method_not_found",
                                      lambda m, w=wrong: m == "method not found: " + w)

    def test_every_bad_param_is_invalid_params_naming_it(self):
        cases = 0
        for method in METHODS:
            for param in method["params"]:
                if param.get("credential"):
                    continue  # access, below
                path = "params." + param["name"]
                for value, where, what in refused_values(method, param, path):
                    params = base_params(method, focus=param["name"])
                    if value is MISSING:
                        del params[param["name"]]
                    else:
                        params[param["name"]] = value
                    with self.subTest(f"{method['name']}: {param['name']} {what}"):
                        self.expect_error(method["name"], params, "invalid_params", lambda m, w=where: names(m, w))
                    cases += 1
        self.assertGreater(cases, 200)  # the generator did not lose its cases

    def test_computer_methods_answer_alike_for_unknown_and_unattached_computers(self):
        for method in (m for m in METHODS if m["access"] == "computer"):
            for computer in (NONEXISTENT, UNATTACHED):
                with self.subTest(f"{method['name']} on {computer}"):
                    self.expect_error(method["name"], dict(base_params(method), id=computer), "not_attached",
                                      lambda m, c=computer: m == f"not attached to computer {c}")

    def test_credentials_are_checked_before_anything_else(self):
        for method in (m for m in METHODS if m["access"] in ("token", "admin")):
            credential = next(p["name"] for p in method["params"] if p.get("credential"))
            for wrong in (MISSING, 5, None, "wrong-token", [TOKEN]):
                params = base_params(method)
                if wrong is MISSING:
                    del params[credential]
                else:
                    params[credential] = wrong
                with self.subTest(f"{method['name']} with {credential} {wrong!r}"):
                    self.expect_error(method["name"], params, "unauthorized", lambda m, c=credential: c in m)
            if method["access"] == "admin":  # only the admin token
                with self.subTest(f"{method['name']} with the client token"):
                    self.expect_error(method["name"], dict(base_params(method), admin_token=TOKEN), "unauthorized",
                                      lambda m: "admin_token" in m)

    def test_unknown_computers_are_not_found_with_the_right_credentials(self):
        for method in (m for m in METHODS if m["access"] in ("token", "admin")):
            with self.subTest(method["name"]):
                self.expect_error(method["name"], dict(base_params(method), id=NONEXISTENT), "not_found",
                                  lambda m: m == "no such computer")
        self.expect_error("computer.attach", {"token": TOKEN, "label": "no-such-label"}, "not_found",
                          lambda m: m == "no such computer")

    def test_attach_needs_a_computer_named(self):
        self.expect_error("computer.attach", {"token": TOKEN, "events": []}, "invalid_params",
                          lambda m: names(m, "params.id") and "label" in m and "create" in m)

    def test_attach_with_mistyped_modem_fields_answers_and_serves_on(self):
        # Each of these once aborted the daemon (nlohmann::json type_error out of read_modems).
        for field, value in (("type", 5), ("cable", 5), ("side", 5), ("type", ["wired"]), ("cable", {}), ("side", True)):
            modem = dict({"side": "top", "type": "wireless"}, **{field: value})
            with self.subTest(f"{field}: {value!r}"):
                self.expect_error("computer.attach", {"token": TOKEN, "create": {"position": [1, 2, 3], "modems": [modem]}},
                                  "invalid_params", lambda m, f=field: names(m, "params.create.modems[0]." + f))


if __name__ == "__main__":
    unittest.main(verbosity=2)
