r"""The verdict: what a :class:`~crossentropy.scoring.ScoreResult` means, in words.

The verdict is driven by two baselines, never by an absolute scale:

* the uniform guess, :math:`\ln K` nats (predicting :math:`1/K` for every class);
* the label frequencies, :math:`H(\pi) = -\sum_k \pi_k \ln \pi_k` nats (always predicting
  the prior), through the skill :math:`1 - \mathrm{CE} / H(\pi)` (McFadden's pseudo-R2,
  scikit-learn's ``d2_log_loss_score``).

Levels, first match wins: **broken** (no rows, or a cross-entropy that is NaN or
infinite: say why); **worse than guessing** (:math:`\mathrm{CE} > \ln K`); **no skill**
(skill :math:`\le 0`, or undefined because every label is the same); **some skill**
(skill < 0.3); **good** (< 0.8); **excellent**. The comparisons with a baseline allow
rounding (1e-9 relative), so that predicting the uniform distribution or the label
frequencies themselves lands on "no skill", not on either side of it.

The tutorial rule of thumb (:func:`rule_of_thumb`) is reported beside it, as what it is:
a scale in nats that ignores the number of classes and the class balance.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from crossentropy._rule_of_thumb import rule_of_thumb
from crossentropy.scoring._types import ScoreResult, Verdict

__all__ = ["rule_of_thumb", "verdict"]

Level = Literal["excellent", "good", "some skill", "no skill", "worse than guessing", "broken"]

#: ECE above this is called miscalibrated.
MISCALIBRATED_ECE = 0.05
#: Relative rounding allowed when comparing with a baseline: a model that predicts the
#: uniform distribution, or the label frequencies, scores its baseline up to rounding.
ROUNDING = 1e-9


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _invalid_text(result: ScoreResult) -> str:
    summary = result.invalid
    reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(summary.reasons.items()))
    parts = []
    if summary.n_skipped:
        parts.append(f"{_plural(summary.n_skipped, 'invalid row')} skipped")
    if summary.n_clipped:
        parts.append(f"{_plural(summary.n_clipped, 'row')} clipped")
    return f"{' and '.join(parts)} ({reasons})" if parts else ""


def _mean_confidence(result: ScoreResult) -> float:
    bins = result.calibration
    nonempty = bins.weight > 0
    total = float(bins.weight[nonempty].sum())
    if total <= 0:
        return math.nan
    return float(np.sum(bins.confidence[nonempty] * bins.weight[nonempty])) / total


def _headline(result: ScoreResult) -> tuple[Level, str]:
    ce, k = result.cross_entropy, result.n_classes
    ln_k, h, skill = result.uniform_baseline, result.prior_entropy, result.skill
    if result.n_rows == 0:
        why = _invalid_text(result)
        return "broken", "Broken: no rows were scored" + (f" ({why})." if why else ".")
    if math.isnan(ce):
        return "broken", (
            f"Broken: the cross-entropy is undefined: the {_plural(result.n_rows, 'row')} "
            "scored have a total sample weight of 0."
        )
    if math.isinf(ce) and result.n_infinite == 0:
        return "broken", (
            "Broken: the cross-entropy overflows float64: some rows have extreme logits "
            "(or clipped infinite ones)."
        )
    if math.isinf(ce):
        n = result.n_infinite
        return "broken", (
            f"Broken: {_plural(n, 'row')} gave probability 0 to {'its' if n == 1 else 'their'} "
            "true label, so the cross-entropy is infinite."
        )
    if ce > ln_k * (1 + ROUNDING):
        return "worse than guessing", (
            f"Worse than guessing: {ce:.4f} nats is more than ln {k} = {ln_k:.4f}, what "
            f"predicting 1/{k} for every class would score."
        )
    if h == 0:
        label = result.classes[int(np.argmax(result.class_weight))]
        return "no skill", (
            f"No skill can be measured: every scored row has the label {label!r}, so always "
            "predicting it would score 0 nats."
        )
    if not skill > ROUNDING:
        return "no skill", (
            f"No skill: {ce:.4f} nats is no better than always predicting the label "
            f"frequencies ({h:.4f} nats)."
        )
    share = (
        f"the model removes {skill:.0%} of the uncertainty left by the label frequencies "
        f"({ce:.4f} vs {h:.4f} nats)."
    )
    if skill < 0.3:
        return "some skill", f"Some skill: {share}"
    if skill < 0.8:
        return "good", f"Good: {share}"
    return "excellent", f"Excellent: {share}"


def _details(result: ScoreResult) -> list[str]:
    ce, k = result.cross_entropy, result.n_classes
    details = []
    if result.n_rows and not math.isnan(ce):
        perplexity = "" if math.isinf(ce) else f", perplexity {result.perplexity:.4g}"
        details.append(
            f"Cross-entropy {ce:.4f} nats ({result.cross_entropy_bits:.4f} bits{perplexity}) "
            f"over {_plural(result.n_rows, 'row')}."
        )
    if math.isinf(ce) and result.n_infinite:
        details.append(
            "A single such row makes the mean infinite: find them among the worst rows; pass "
            "eps (e.g. 1e-15) to floor probabilities for the log if that is what you want."
        )
    if result.n_rows:
        details.append(
            f"Baselines: the uniform guess ln {k} = {result.uniform_baseline:.4f} nats; the "
            f"label frequencies (prior entropy) {result.prior_entropy:.4f} nats."
        )
        if math.isfinite(result.skill):
            details.append(
                f"Skill 1 - CE/H(prior) = {result.skill:.3f} (1 perfect, 0 no better than "
                "the label frequencies)."
            )
        topk = "".join(f", top-{kk} {v:.1%}" for kk, v in result.top_k_accuracy.items())
        details.append(f"Accuracy {result.accuracy:.1%}{topk}.")
        details.append(_calibration_text(result))
    if result.interval is not None:
        ci = result.interval
        details.append(
            f"{ci.level:.0%} interval of the cross-entropy: {ci.low:.4f} to {ci.high:.4f} "
            f"nats ({ci.method})."
        )
    invalid = _invalid_text(result)
    if invalid and result.n_rows:
        details.append(f"Invalid rows: {invalid}.")
    return details


def _calibration_text(result: ScoreResult) -> str:
    ece = result.ece
    text = f"Calibration error (ECE, {result.calibration.weight.size} uniform bins) {ece:.3f}"
    if not ece > MISCALIBRATED_ECE:
        return text + "."
    confidence, accuracy = _mean_confidence(result), result.accuracy
    direction = "over-confident" if confidence > accuracy else "under-confident"
    return (
        f"{text}: the probabilities are miscalibrated, {direction} (mean confidence "
        f"{confidence:.1%} vs accuracy {accuracy:.1%})."
    )


def verdict(result: ScoreResult) -> Verdict:
    r"""Say what a result means: a level, a headline, the numbers behind it.

    Parameters
    ----------
    result : ScoreResult

    Returns
    -------
    Verdict
        ``level`` (see the module notes), ``headline`` (one sentence), ``details`` (the
        cross-entropy in nats, bits and perplexity; the baselines :math:`\ln K` and
        :math:`H(\pi)`; the skill; accuracy; the calibration error, called miscalibrated
        above 0.05 with the direction from mean confidence vs accuracy; the bootstrap
        interval when present; invalid rows), and the rule of thumb with its caveat.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.scoring import score
    >>> p = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.05, 0.9]])
    >>> v = verdict(score(p, [0, 1, 2]))
    >>> v.level
    'excellent'
    >>> v.headline
    'Excellent: the model removes 87% of the uncertainty left by the label frequencies
    (0.1446 vs 1.0986 nats).'
    >>> verdict(score(np.array([[1.0, 0.0], [0.5, 0.5]]), [1, 0])).headline
    'Broken: 1 row gave probability 0 to its true label, so the cross-entropy is infinite.'
    """
    level, headline = _headline(result)
    band, note = rule_of_thumb(result.cross_entropy)
    return Verdict(
        level=level,
        headline=headline,
        details=tuple(_details(result)),
        rule_of_thumb=band,
        rule_of_thumb_note=note,
    )
