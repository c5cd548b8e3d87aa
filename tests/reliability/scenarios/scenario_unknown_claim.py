"""Run by tests/reliability: names a claim that no page makes."""

import pytest


@pytest.mark.claim("no-page-makes-this-claim")
def test_names_an_unknown_claim():
    pass
