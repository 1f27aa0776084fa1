"""zoo.data.splits through the two data sets that use it (fortunes 70/15/15, translation
80/10/10): a pure function of the case-folded text, with the shares each module asks for."""

import pytest

from zoo.data import fortunes
from zoo.data import translation as tr


@pytest.mark.parametrize("module, stem, n, train, test, train_tol, test_tol", [
    (fortunes, "quotation number", 3000, 0.70, 0.15, 0.03, 0.03),
    (tr, "sentence number", 4000, 0.8, 0.1, 0.03, 0.02),
], ids=["fortunes", "translation"])
def test_split_is_a_pure_function_of_the_case_folded_text(module, stem, n, train, test,
                                                           train_tol, test_tol):
    texts = [f"{stem} {i}" for i in range(n)]
    parts = [module.split_of(t) for t in texts]
    assert parts == [module.split_of(t.upper()) for t in texts]
    shares = {s: parts.count(s) / len(parts) for s in module.SPLITS}
    assert abs(shares["train"] - train) < train_tol and abs(shares["test"] - test) < test_tol
