"""Each language's examples/ is exactly what the templates render: a template change without `scripts/examples`
fails."""

from __future__ import annotations

import pytest

from dft.examples import drift, folder, stale
from dft.targets import distinct_dockerfiles

pytestmark = pytest.mark.render


@pytest.mark.parametrize("target", distinct_dockerfiles(), ids=lambda t: t.id)
def test_example_is_what_the_templates_render(target):
    differences = drift(target)
    assert not differences, \
        f"{folder(target)} has drifted from the templates (run scripts/examples): {differences}"


def test_every_example_is_a_target():
    assert not stale(), f"examples hold folders no combination renders (run scripts/examples): {stale()}"
