"""Shared, expensive fixtures: the real spaCy pipeline, the real packaged embedding model and the trained
classifier, loaded once per test session. The classifier cache goes to a session folder so tests never depend on
(or write to) the user's home."""
import os

import pytest


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    os.environ.setdefault("INSIGHTS_CACHE", str(tmp_path_factory.mktemp("classifier-cache")))
    from insights.extract import Models

    return Models.load()
