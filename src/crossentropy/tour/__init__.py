"""The guided tour of cross-entropy: eight short steps from surprise to scoring a model.

Each step explains one idea in a few sentences, shows a table computed by the library
and, where it helps, draws a figure (PNG, written atomically, never replacing a file
without ``force``). ``crossentropy tour`` runs it from the command line.

1. Surprise: the information -log p of likely and unlikely events, in bits and nats.
2. Entropy of a uniform versus a skewed distribution.
3. Cross-entropy, of a distribution with itself, and H(p, q) = H(p) + KL(p || q).
4. Class labels versus probabilities: the cat/dog/horse example (0.92 and 0.36).
5. The Iris network: measurements, raw outputs, softmax, cross-entropy per row, total.
6. Residuals and squared residuals versus cross-entropy, and their slopes.
7. The experiment: one small network trained with each loss over several seeds.
8. Scoring the trained model: verdict, honest baselines and the rule of thumb.

Steps 5, 7 and 8 train networks with :mod:`crossentropy.models`.

Examples
--------
>>> from crossentropy.tour import run_tour
>>> [step] = run_tour([3], plots=False)
>>> round(step.numbers["H(p,q)"], 4) == round(step.numbers["H(p)+KL(p||q)"], 4)
True
"""

from crossentropy.tour._render import plain_text
from crossentropy.tour._run import FIGURE_NAMES, STEP_TITLES, run_tour
from crossentropy.tour._types import StepResult, Table

__all__ = ["FIGURE_NAMES", "STEP_TITLES", "StepResult", "Table", "plain_text", "run_tour"]
