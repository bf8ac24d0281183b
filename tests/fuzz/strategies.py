"""Hypothesis strategies: valid payloads from each event's own schema, and hostile mutations of them.

Valid payloads are drawn from the JSON schema pydantic derives from the very model the server
validates with (so a new field is fuzzed without touching this file). Mutations are the classes
of input the server must refuse with a typed error: wrong types, null, binary data, lone
surrogates, control characters, huge strings, deep nesting, NaN, unknown and missing keys.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

#: one value of every class the protocol refuses somewhere
HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=64),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "id\x00", "\x1b[2J", "\x7f", "\u0085", "10",
                     "true", "yes", "null", "{}", "ZZZ", "../../etc/passwd", "<script>", "\u202e"]),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec=None, categories=("Cc", "Cs")), min_size=1, max_size=8),
    st.builds(lambda n: "x" * n, st.sampled_from([1025, 5000, 20_000])),
    st.integers(min_value=2, max_value=60).map(lambda depth: _nested(depth)),
    st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)


def _nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = [value]
    return value


def from_model(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads the schema accepts (mostly: a pattern or a cross-field rule may still refuse)."""
    schema = model.model_json_schema()
    return _strategy(schema, schema.get("$defs", {}))  # type: ignore[no-any-return]


def _strategy(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return st.deferred(lambda: _strategy(defs[schema["$ref"].rsplit("/", 1)[-1]], defs))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([_strategy(option, defs) for option in schema[key]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, defs)
    if kind == "array":
        items = _strategy(schema.get("items", {}), defs)
        return st.lists(items, min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4))
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -1000), max_value=schema.get("maximum", 1000))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1e6))
        return st.floats(min_value=low, max_value=schema.get("maximum", 1e7),
                         allow_nan=False, allow_infinity=False, exclude_min="exclusiveMinimum" in schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return HOSTILE


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if not properties and isinstance(schema.get("additionalProperties"), dict):
        values = _strategy(schema["additionalProperties"], defs)
        # keys are strings whatever their schema says (a constrained str has no "type" there)
        keys = _string({"maxLength": 8, **schema.get("propertyNames", {})})
        return st.dictionaries(keys, values, max_size=min(schema.get("maxProperties", 3), 3))
    return st.fixed_dictionaries(
        {name: _strategy(sub, defs) for name, sub in properties.items() if name in required},
        optional={name: _strategy(sub, defs) for name, sub in properties.items()
                  if name not in required},
    )


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 80), 80)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(alphabet=string.ascii_letters + string.digits + " åäö-_.:\n", min_size=low,
                   max_size=max(low, high))


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid payload with one hostile change: a field's value, a new key, a missing key, or the
    whole payload replaced."""
    payload = draw(valid)
    how = draw(st.sampled_from(["value", "value", "nested_value", "extra_key", "drop_key", "whole"]))
    if how == "whole" or not payload:
        return draw(HOSTILE)
    keys = sorted(payload)
    key = draw(st.sampled_from(keys))
    if how == "drop_key":
        del payload[key]
    elif how == "extra_key":
        payload[draw(st.sampled_from(["\ud800", "\x00", "x" * 500, "extra", "__proto__"]))] = 1
    elif how == "nested_value" and isinstance(payload[key], dict) and payload[key]:
        inner = payload[key]
        inner[draw(st.sampled_from(sorted(inner)))] = draw(HOSTILE)
    else:
        payload[key] = draw(HOSTILE)
    return payload


def payloads(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    valid = from_model(model)
    return st.one_of(valid, mutated(valid))


#: an SDP line by line, as aiortc's own offers write it (a=… attributes, m= sections)
@st.composite
def mutated_sdp(draw: st.DrawFn, template: str) -> str:
    lines = template.split("\r\n")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["drop", "duplicate", "replace_token", "insert", "truncate",
                                   "swap", "number"]))
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if op == "drop":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(min_value=0, max_value=max(0, len(lines[i]))))]
        elif op == "number":
            tokens = lines[i].split(" ")
            k = draw(st.integers(min_value=0, max_value=len(tokens) - 1))
            tokens[k] = str(draw(st.sampled_from([-1, 0, 65536, 2**31, 2**64, 10**30])))
            lines[i] = " ".join(tokens)
        elif op == "replace_token":
            tokens = lines[i].split(" ")
            k = draw(st.integers(min_value=0, max_value=len(tokens) - 1))
            tokens[k] = draw(st.text(max_size=20).filter(lambda t: "\r" not in t and "\n" not in t))
            lines[i] = " ".join(tokens)
        else:
            lines.insert(i, draw(st.sampled_from([
                "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 0 RTP/AVP", "a=mid:", "a=ice-ufrag:",
                "a=fingerprint:sha-256 ZZ", "a=rtpmap:111 opus/0/0", "a=ssrc:-1 cname:x",
                "a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9", "c=IN IP6 ::::", "a=candidate:" + "x" * 900,
                "a=extmap:99999 urn:x", "a=setup:nonsense", "a=msid:" + " " * 50,
            ])))
    return "\r\n".join(lines)


CANDIDATE = "candidate:842163049 1 udp 1677729535 192.0.2.10 54400 typ srflx raddr 10.0.0.5 rport 54400"


@st.composite
def candidates(draw: st.DrawFn) -> dict[str, Any]:
    tokens = CANDIDATE.split(" ")
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        k = draw(st.integers(min_value=0, max_value=len(tokens) - 1))
        tokens[k] = draw(st.one_of(
            st.text(max_size=12), st.sampled_from(["-1", "99999999999999999999", "tcp", "typ",
                                                   "::1", "0.0.0.0", "host", "", "fe80::1%eth0"])))
    text = " ".join(tokens)
    if draw(st.booleans()):
        text = text.removeprefix("candidate:")
    payload: dict[str, Any] = {"candidate": draw(st.one_of(st.just(text), st.just(""),
                                                              st.text(max_size=200)))}
    if draw(st.booleans()):
        payload["sdpMid"] = draw(st.sampled_from(["0", "1", "", "audio", "x" * 64]))
    if draw(st.booleans()):
        payload["sdpMLineIndex"] = draw(st.integers(min_value=0, max_value=1023))
    return payload
