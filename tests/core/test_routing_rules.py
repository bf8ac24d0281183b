"""Routing rules: the shipped file carries the seed's three rules and the kiosk's age check; a broken
file names file, line, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.core.context import CaseContext
from server.core.routing import Route, RulesError, RuleSet, load_rules, parse_rules
from server.settings import DEFAULT_RULES
from tests.core.conftest import cart_of, context

# --- the shipped default file ---------------------------------------------------------------


def test_the_shipped_file_loads_with_the_seed_queues_and_general_as_default(shipped_rules: RuleSet) -> None:
    assert shipped_rules.default_queue == "general"
    assert set(shipped_rules.queues) == {"general", "payment-experts", "english", "age-check", "oncall"}
    assert [rule.name for rule in shipped_rules.rules] == [
        "offline-mode", "age-check", "payment-step", "english"]
    assert shipped_rules.queues["oncall"].always_open
    assert shipped_rules.queues["payment-experts"].title_sv == "Betalexperter"


def test_the_payment_step_goes_to_the_payment_experts_who_need_the_payments_skill(
    shipped_rules: RuleSet,
) -> None:
    route = shipped_rules.route(context(payment_step="payment"))
    assert route == Route(queue="payment-experts", skills=frozenset({"payments"}),
                          first_channel="chat", priority=10, rule="payment-step")


def test_an_english_speaker_goes_to_the_english_queue(shipped_rules: RuleSet) -> None:
    route = shipped_rules.route(context(language="en"))
    assert route == Route(queue="english", skills=frozenset(), first_channel="chat",
                          priority=0, rule="english")


def test_offline_mode_goes_to_the_24_7_on_call_queue_voice_first(shipped_rules: RuleSet) -> None:
    route = shipped_rules.route(context(offline_mode=True))
    assert route == Route(queue="oncall", skills=frozenset({"oncall"}), first_channel="voice",
                          priority=20, rule="offline-mode")


@pytest.mark.parametrize("step", [None, "cart", "payment"])
def test_a_kiosk_age_check_goes_to_the_age_check_queue_ahead_of_the_payment_step(
    shipped_rules: RuleSet, step: str | None,
) -> None:
    route = shipped_rules.route(context(topic="age_check", channel="kiosk", payment_step=step))
    assert route == Route(queue="age-check", skills=frozenset(), first_channel="chat",
                          priority=15, rule="age-check")
    assert shipped_rules.queues["age-check"].title_sv == "Ålderskontroll"


def test_plain_help_is_not_routed_as_an_age_check(shipped_rules: RuleSet) -> None:
    assert shipped_rules.route(context(topic="help", channel="kiosk")).queue == "general"
    assert shipped_rules.route(context(channel="kiosk")).rule is None


def test_a_topic_outside_the_protocol_is_a_rules_error_naming_the_line() -> None:
    refused = r"line 4: rule 'x': topic cannot be 'refund' \(one of: help, age_check\)"
    with pytest.raises(RulesError, match=refused):
        parse_rules('default_queue = "general"\n[queues.general]\n[[rules]]\n'
                    'when = { topic = "refund" }\nname = "x"\nqueue = "general"\n', "rules.toml")


def test_offline_mode_beats_the_payment_step_and_english(shipped_rules: RuleSet) -> None:
    route = shipped_rules.route(context(offline_mode=True, payment_step="payment", language="en"))
    assert (route.queue, route.first_channel, route.rule) == ("oncall", "voice", "offline-mode")


def test_offline_mode_beats_english_alone(shipped_rules: RuleSet) -> None:
    assert shipped_rules.route(context(offline_mode=True, language="en")).queue == "oncall"


def test_an_english_speaker_at_the_payment_step_goes_to_the_payment_experts(
    shipped_rules: RuleSet,
) -> None:
    route = shipped_rules.route(context(payment_step="payment", language="en"))
    assert (route.queue, route.skills, route.rule) == (
        "payment-experts", frozenset({"payments"}), "payment-step")


@pytest.mark.parametrize("step", ["browsing", "cart", "after_payment"])
def test_other_steps_of_a_swedish_customer_go_to_the_default_queue(
    shipped_rules: RuleSet, step: str
) -> None:
    route = shipped_rules.route(context(payment_step=step, language="sv"))
    assert route == Route(queue="general", skills=frozenset(), first_channel="chat",
                          priority=0, rule=None)


def test_a_press_that_matches_no_rule_goes_to_the_default_queue(shipped_rules: RuleSet) -> None:
    assert shipped_rules.route(context()).queue == "general"
    assert shipped_rules.route(context()).rule is None


def test_every_seed_queue_but_on_call_overflows_to_on_call(shipped_rules: RuleSet) -> None:
    for queue in ("general", "payment-experts", "english", "age-check"):
        assert shipped_rules.fallback_chain(queue) == ["oncall"]
    assert shipped_rules.fallback_chain("oncall") == []


def test_load_rules_reads_the_shipped_path() -> None:
    assert DEFAULT_RULES.name == "rules.toml"
    assert [r.name for r in load_rules(DEFAULT_RULES).rules] == [
        "offline-mode", "age-check", "payment-step", "english"]


# --- conditions -----------------------------------------------------------------------------

CONDITIONS = """\
default_queue = "general"

[queues.general]
[queues.big-cart]
[queues.low-battery]
[queues.mobile-data]
[queues.pilot-stores]
[queues.english-kiosk]

[[rules]]
name = "big-cart"
when = { cart_value = { min = 1000, max = 5000 } }
queue = "big-cart"

[[rules]]
name = "low-battery"
when = { battery = { min = 5, max = 15 } }
queue = "low-battery"

[[rules]]
name = "mobile-data"
when = { network = ["4g", "5g"] }
queue = "mobile-data"

[[rules]]
name = "pilot-stores"
when = { store = ["s2", "s3"] }
queue = "pilot-stores"

[[rules]]
name = "english-kiosk"
when = { language = "en", channel = "kiosk" }
queue = "english-kiosk"
"""


@pytest.fixture(scope="module")
def conditions() -> RuleSet:
    return parse_rules(CONDITIONS, "conditions.toml")


@pytest.mark.parametrize(
    ("total", "queue"),
    [(999.99, "general"), (1000, "big-cart"), (2500, "big-cart"), (5000, "big-cart"),
     (5000.01, "general")],
)
def test_cart_value_matches_from_min_to_max_inclusive(conditions: RuleSet, total: float, queue: str) -> None:
    assert conditions.route(context(cart=cart_of(total))).queue == queue


def test_cart_value_is_the_cart_total_over_all_lines(conditions: RuleSet) -> None:
    assert conditions.route(context(cart=cart_of(600, 400))).queue == "big-cart"
    assert conditions.route(context(cart=cart_of(600, 399.99))).queue == "general"


@pytest.mark.parametrize(
    ("battery", "queue"),
    [(4, "general"), (5, "low-battery"), (15, "low-battery"), (16, "general")],
)
def test_battery_matches_from_min_to_max_inclusive(conditions: RuleSet, battery: int, queue: str) -> None:
    assert conditions.route(context(battery=battery)).queue == queue


def test_a_signal_the_device_did_not_send_never_matches(conditions: RuleSet) -> None:
    assert conditions.route(context(battery=None)).queue == "general"


def test_a_one_sided_range_leaves_the_other_side_open() -> None:
    rules = parse_rules(
        'default_queue = "general"\n[queues.general]\n[queues.big]\n'
        '[[rules]]\nname = "big"\nwhen = { cart_value = { min = 1000 } }\nqueue = "big"\n'
    )
    assert rules.route(context(cart=cart_of(999))).queue == "general"
    assert rules.route(context(cart=cart_of(1000))).queue == "big"
    assert rules.route(context(cart=cart_of(9_999_999))).queue == "big"


@pytest.mark.parametrize(("network", "queue"), [("4g", "mobile-data"), ("5g", "mobile-data"),
                                                ("wifi", "general"), ("offline", "general")])
def test_a_list_of_values_matches_any_of_them(conditions: RuleSet, network: str, queue: str) -> None:
    assert conditions.route(context(network=network)).queue == queue


@pytest.mark.parametrize(("store", "queue"), [("s2", "pilot-stores"), ("s3", "pilot-stores"),
                                              ("s1", "general"), ("s22", "general")])
def test_a_list_of_stores_matches_any_of_them_exactly(conditions: RuleSet, store: str, queue: str) -> None:
    assert conditions.route(context(store=store)).queue == queue


def test_every_condition_of_a_rule_must_match(conditions: RuleSet) -> None:
    assert conditions.route(context(language="en", channel="kiosk")).queue == "english-kiosk"
    assert conditions.route(context(language="en", channel="web")).queue == "general"
    assert conditions.route(context(language="sv", channel="kiosk")).queue == "general"


def test_the_first_matching_rule_in_file_order_wins(conditions: RuleSet) -> None:
    both = CaseContext(store="s2", cart=cart_of(2000), network="4g")
    assert conditions.route(both).rule == "big-cart"


def test_a_rule_adds_its_skills_to_the_queues_skills() -> None:
    rules = parse_rules(
        'default_queue = "general"\n[queues.general]\n[queues.pay]\nskills = ["payments"]\n'
        '[[rules]]\nname = "age"\nwhen = { payment_step = "payment" }\nqueue = "pay"\n'
        'skills = ["age-check"]\n'
    )
    assert rules.route(context(payment_step="payment")).skills == {"payments", "age-check"}


# --- refused files --------------------------------------------------------------------------
# Each text marks its offending line with "<-"; the expected number is also written out, so a
# drift in either the text or the loader shows up.

HEAD = """\
default_queue = "general"

[queues.general]
title_sv = "Support"
fallback = "oncall"

[queues.oncall]
skills = ["oncall"]
"""  # lines 1-8

BAD_FILES = {
    "toml-syntax": (HEAD + """
[[rules]]
name = "english"
when = { language = "en" }
queue = "english  # <- unterminated string
""", 13, "line 13"),
    "toml-syntax-in-a-table-header": ("""\
default_queue = "general"

[queues.general  # <-
""", 3, "Expected ']'"),
    "unknown-signal": (HEAD + """
[[rules]]
name = "colour"
when = { colour = "red" }  # <-
queue = "general"
""", 12, "unknown signal 'colour'"),
    "bad-enum-value": (HEAD + """
[[rules]]
name = "checkout"
when = { position = "checkout" }
queue = "general"

[[rules]]
name = "roof"
when = { position = "roof" }  # <-
queue = "general"
""", 17, "position cannot be 'roof'"),
    "bad-value-in-a-when-table": (HEAD + """
[[rules]]
name = "roof"
queue = "general"

[rules.when]
store = "s1"
position = "roof"  # <-
""", 16, "position cannot be 'roof'"),
    "bad-language": (HEAD + """
[[rules]]
name = "german"
when = { language = ["en", "de"] }  # <-
queue = "general"
""", 12, "language cannot be 'de'"),
    "boolean-given-text": (HEAD + """
[[rules]]
name = "offline"
when = { offline_mode = "yes" }  # <-
queue = "oncall"
""", 12, "offline_mode takes true or false"),
    "number-given-plainly": (HEAD + """
[[rules]]
name = "battery"
when = { battery = 15 }  # <-
queue = "oncall"
""", 12, "battery takes { min = …, max = … }"),
    "unknown-queue": (HEAD + """
[[rules]]
name = "first"
when = { language = "sv" }
queue = "general"

[[rules]]
name = "second"
when = { language = "en" }
queue = "english"  # <-
""", 18, "rule 'second' sends to unknown queue 'english'"),
    "unknown-fallback-queue": ("""\
default_queue = "general"

[queues.general]
fallback = "oncall"

[queues.oncall]
title_sv = "Beredskap"
fallback = "nightshift"  # <-
""", 8, "queue 'oncall' falls back to unknown queue 'nightshift'"),
    "duplicate-rule-name": (HEAD + """
[[rules]]
name = "english"
when = { language = "en" }
queue = "general"

[[rules]]
name = "english"  # <-
when = { channel = "kiosk" }
queue = "general"
""", 16, "rule name 'english' is used twice"),
    "missing-when": (HEAD + """
[[rules]]
name = "first"
when = { language = "en" }
queue = "general"

[[rules]]  # <-
name = "always"
queue = "oncall"
""", 15, "rule 'always' needs a non-empty 'when' table"),
    "empty-when": (HEAD + """
[[rules]]
name = "always"
when = {}  # <-
queue = "oncall"
""", 12, "rule 'always' needs a non-empty 'when' table"),
    "bad-first-channel": (HEAD + """
[[rules]]
name = "video"
when = { position = "checkout" }
queue = "general"
first_channel = "video"  # <-
""", 14, "first_channel must be chat or voice"),
    "unknown-key-in-a-rule": (HEAD + """
[[rules]]
name = "english"
when = { language = "en" }
queue = "general"
colour = "blue"  # <-
""", 14, "rule has unknown key 'colour'"),
    "unknown-key-in-a-queue": ("""\
default_queue = "general"

[queues.general]
title_sv = "Support"
colour = "blue"  # <-
""", 5, "queue 'general' has unknown key 'colour'"),
    "unknown-top-level-key": ("""\
default_queue = "general"
colour = "blue"  # <-

[queues.general]
""", 2, "unknown top-level key 'colour'"),
    "priority-out-of-range": (HEAD + """
[[rules]]
name = "urgent"
when = { position = "checkout" }
queue = "general"
priority = 1000  # <-
""", 14, "priority must be a whole number from -100 to 100"),
    "default-queue-undefined": ("""\
default_queue = "nowhere"  # <-

[queues.general]
""", 1, "default_queue must name a defined queue"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_broken_file_is_refused_naming_the_file_the_line_and_the_reason(
    name: str, tmp_path: Path
) -> None:
    text, line, reason = BAD_FILES[name]
    marked = [n for n, content in enumerate(text.splitlines(), start=1) if "# <-" in content]
    assert marked == [line], "the test text and its expected line disagree"
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(RulesError) as refused:
        load_rules(path)

    error = refused.value
    assert error.code == "rules_invalid"
    assert error.path == str(path)
    assert error.line == line
    assert reason in error.reason
    assert str(error).startswith(f"rules file {path}, line {line}: ")
    assert reason in str(error)


def test_parse_rules_names_the_path_it_is_given() -> None:
    with pytest.raises(RulesError) as refused:
        parse_rules('default_queue = "general"\n[queues.general]\nextra = 1\n', "/etc/helpwire/rules.toml")
    assert str(refused.value) == (
        "rules file /etc/helpwire/rules.toml, line 3: queue 'general' has unknown key 'extra'")


def test_a_missing_file_is_refused_naming_it_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    assert refused.value.line is None
    assert refused.value.path == str(path)
    assert "cannot be read" in str(refused.value)


def test_a_file_without_queues_is_refused() -> None:
    with pytest.raises(RulesError, match="at least one queue"):
        parse_rules('default_queue = "general"\n')
