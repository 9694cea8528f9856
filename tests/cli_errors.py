"""Shared by the tests that run the CLI on bad input: each test gets its own dataset cache, and a failure
must be one ``vaegan: error:`` line with no traceback."""
import pytest


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEGAN_CACHE", str(tmp_path / "cache"))


def one_line_error(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("vaegan: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]
