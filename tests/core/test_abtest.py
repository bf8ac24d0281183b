"""The A/B test's statistics (server/core/abtest.py)."""

from __future__ import annotations

import math

import pytest

from server.core.abtest import assign, sample_size_per_group, two_proportion_ztest, verdict


def test_assignment_is_deterministic_and_follows_the_split() -> None:
    visitors = [f"visitor-{i}" for i in range(20_000)]
    first = [assign(v, "salt-1") for v in visitors]
    assert first == [assign(v, "salt-1") for v in visitors]
    assert set(first) == {"A", "B"}
    assert abs(first.count("B") / len(first) - 0.5) < 0.02
    ninety = [assign(v, "salt-1", split_b=0.9) for v in visitors]
    assert abs(ninety.count("B") / len(ninety) - 0.9) < 0.02
    # raising the split only moves visitors A → B, never back
    assert all(b == "B" for a, b in zip(first, ninety, strict=True) if a == "B")
    assert {assign(v, "salt-1", split_b=0.0) for v in visitors[:100]} == {"A"}
    assert {assign(v, "salt-1", split_b=1.0) for v in visitors[:100]} == {"B"}
    # a new salt is a new experiment
    other = [assign(v, "salt-2") for v in visitors]
    assert 0.4 < sum(a != b for a, b in zip(first, other, strict=True)) / len(first) < 0.6
    with pytest.raises(ValueError):
        assign("v", "s", split_b=1.5)


def test_ztest_textbook_mammogram_example() -> None:
    """OpenIntro Statistics (Diez, Çetinkaya-Rundel, Barr), 4th ed., section 6.2.3:
    breast-cancer deaths 500 of 44,925 with mammograms vs 505 of 44,910 in the control group;
    pooled p̂ = 0.0112, Z ≈ −0.17, two-sided p-value ≈ 0.87 — no significant difference.
    (The book rounds SE to 0.00070 before dividing; unrounded, Z = −0.164.)"""
    result = two_proportion_ztest(505, 44_910, 500, 44_925)  # A = control, B = mammogram
    assert result.difference == pytest.approx(500 / 44_925 - 505 / 44_910)
    assert result.z == pytest.approx(-0.17, abs=0.01)
    assert result.p_value == pytest.approx(0.87, abs=0.01)


def test_confidence_interval_textbook_cpr_example() -> None:
    """OpenIntro Statistics, 4th ed., section 6.2.1: CPR with a blood thinner, survival 14 of 40
    (treatment) vs 11 of 50 (control): difference 0.13, SE 0.095, 90 % CI (−0.026, 0.286)."""
    result = two_proportion_ztest(11, 50, 14, 40, confidence=0.90)
    assert result.difference == pytest.approx(0.13)
    assert result.standard_error == pytest.approx(0.095, abs=0.001)
    assert result.ci_low == pytest.approx(-0.026, abs=0.002)
    assert result.ci_high == pytest.approx(0.286, abs=0.002)


def test_sample_size() -> None:
    # 10 % → 15 % at α = 0.05 (two-sided), power 0.8: 686 per group (Fleiss, no continuity correction)
    assert sample_size_per_group(0.10, 0.05) == 686
    by_hand = ((1.959964 * math.sqrt(2 * 0.125 * 0.875)
                + 0.841621 * math.sqrt(0.1 * 0.9 + 0.15 * 0.85)) ** 2) / 0.05**2
    assert sample_size_per_group(0.10, 0.05) == math.ceil(by_hand)
    # a smaller effect needs more visitors
    assert sample_size_per_group(0.10, 0.01) > sample_size_per_group(0.10, 0.02)


def test_verdict_says_plainly_when_data_are_not_enough() -> None:
    small = verdict(10, 100, 20, 100, min_detectable_effect=0.02)
    assert small.status == "not_enough_data"
    assert small.required_per_group is not None and small.required_per_group > 100
    assert "Not enough data yet" in small.message
    assert verdict(0, 0, 5, 10).status == "no_data"
    big = verdict(1000, 10_000, 1300, 10_000, min_detectable_effect=0.02)
    assert big.status == "significant" and "Variant B" in big.message
    assert big.test is not None and big.test.ci_low > 0
    same = verdict(1000, 10_000, 1010, 10_000, min_detectable_effect=0.02)
    assert same.status == "not_significant"
