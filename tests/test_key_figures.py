"""Key figures are laid out so that no value is cut off (the browser test checks the pixels)."""

from __future__ import annotations

import pytest

from components.feedback import figures_per_row


@pytest.mark.parametrize(("values", "per_row"), [
    (["53.17 USD", "3", "1", "-9.80 USD"], 4),
    (["-1,234.56 USD", "12", "3", "-99.00 USD"], 3),
    (["8,502,085.44 USD", "-4,694,953.71 USD", "136,364", "7,576"], 2),
    (["-12,345,678.90 USD"], 1),
    ([], 1),
])
def test_unit__figures_per_row_fits_the_longest_value(values: list[str], per_row: int) -> None:
    assert figures_per_row(values) == per_row
