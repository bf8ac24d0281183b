"""The Help-button A/B test: deterministic assignment, the two-proportion z-test, sample size.

Pure (the standard library's ``statistics.NormalDist`` for the normal distribution). Variant A
is the small button without a promise, variant B the visible one with "Svar <60 s"
(seed 000: "A/B-test: bevisa effekten på 2 veckor").
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from statistics import NormalDist

#: the standard normal distribution (the z-test's and the sample size's quantiles)
_NORMAL = NormalDist()

VARIANTS = ("A", "B")


def assign(visitor: str, salt: str, split_b: float = 0.5) -> str:
    """``"A"`` or ``"B"`` for a visitor, the same every time for the same salt and split.

    SHA-256 of ``salt:visitor`` read as a number in [0, 1): below ``split_b`` is B.
    """
    if not 0.0 <= split_b <= 1.0:
        raise ValueError("split_b must be between 0 and 1")
    digest = hashlib.sha256(f"{salt}:{visitor}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64
    return "B" if bucket < split_b else "A"


@dataclass(frozen=True)
class ZTest:
    """Two-proportion z-test of p_b − p_a, with a Wald confidence interval of the difference."""

    successes_a: int
    n_a: int
    successes_b: int
    n_b: int
    p_a: float
    p_b: float
    difference: float  # p_b − p_a
    standard_error: float  # unpooled, for the interval
    z: float  # pooled standard error, for the test
    p_value: float  # two-sided
    confidence: float
    ci_low: float
    ci_high: float


def two_proportion_ztest(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95
) -> ZTest:
    if n_a <= 0 or n_b <= 0:
        raise ValueError("both groups need at least one observation")
    if not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        raise ValueError("successes must be between 0 and the group size")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    diff = p_b - p_a
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p_value = 2 * _NORMAL.cdf(-abs(z))
    critical = _NORMAL.inv_cdf(0.5 + confidence / 2)
    return ZTest(successes_a, n_a, successes_b, n_b, p_a, p_b, diff, se, z, p_value, confidence,
                 diff - critical * se, diff + critical * se)


def sample_size_per_group(
    baseline: float, min_detectable_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Visitors per variant to detect ``baseline`` → ``baseline + mde`` (two-sided test).

    n = (z₁₋α/₂·√(2·p̄·q̄) + z₁₋β·√(p₁q₁ + p₂q₂))² / δ²   (Fleiss, Statistical Methods for
    Rates and Proportions, the formula without continuity correction).
    """
    p1 = baseline
    p2 = baseline + min_detectable_effect
    if not (0 < p1 < 1 and 0 < p2 < 1):
        raise ValueError("baseline and baseline + effect must be proportions strictly between 0 and 1")
    p_bar = (p1 + p2) / 2
    z_alpha = _NORMAL.inv_cdf(1 - alpha / 2)
    z_beta = _NORMAL.inv_cdf(power)
    numerator = (z_alpha * math.sqrt(2 * p_bar * (1 - p_bar))
                 + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return math.ceil(numerator / min_detectable_effect**2)


@dataclass(frozen=True)
class Verdict:
    """What the report says about the test, in plain words."""

    status: str  # "no_data" | "not_enough_data" | "significant" | "not_significant"
    message: str
    required_per_group: int | None
    test: ZTest | None
    #: the difference the test was sized to detect (for the verdict in other languages)
    min_detectable_effect: float = 0.02


def verdict(
    successes_a: int, n_a: int, successes_b: int, n_b: int, *,
    min_detectable_effect: float = 0.02, alpha: float = 0.05, power: float = 0.8,
) -> Verdict:
    """The test's result, or plainly "not enough data yet" while a group is below the needed size."""
    if n_a == 0 or n_b == 0:
        return Verdict("no_data", "No exposures in one of the variants yet: nothing to compare.",
                       None, None, min_detectable_effect)
    test = two_proportion_ztest(successes_a, n_a, successes_b, n_b, confidence=1 - alpha)
    baseline = min(max(test.p_a, 0.001), 0.999 - min_detectable_effect)
    required = sample_size_per_group(baseline, min_detectable_effect, alpha, power)
    if min(n_a, n_b) < required:
        return Verdict(
            "not_enough_data",
            f"Not enough data yet: {required} sessions per variant are needed to detect a "
            f"{min_detectable_effect * 100:.1f}-point difference (A has {n_a}, B has {n_b}).",
            required, test, min_detectable_effect,
        )
    if test.p_value < alpha:
        better = "B" if test.difference > 0 else "A"
        return Verdict(
            "significant",
            f"Variant {better} converts better: {test.difference * 100:+.1f} points "
            f"(CI {test.ci_low * 100:+.1f} to {test.ci_high * 100:+.1f}), p = {test.p_value:.3f}.",
            required, test, min_detectable_effect,
        )
    return Verdict(
        "not_significant",
        f"No significant difference: {test.difference * 100:+.1f} points "
        f"(CI {test.ci_low * 100:+.1f} to {test.ci_high * 100:+.1f}), p = {test.p_value:.3f}.",
        required, test, min_detectable_effect,
    )
