"""The score cache tells a damaged file (delete it) from a folder or disk it cannot write (keep it)."""
import sqlite3

import pytest

from inference.records import ArticleScore
from inference.report_cache import ScoreCache
from models.errors import SlantError


def test_a_file_that_is_not_a_database_is_damaged_and_may_be_deleted(tmp_path):
    path = tmp_path / "slant-cache.sqlite"
    path.write_bytes(b"not an sqlite file " * 100)
    with pytest.raises(SlantError, match="damaged .*file is not a database.*delete the file") as e:
        ScoreCache(path, "m")
    assert "\n" not in str(e.value)


def test_a_cache_that_cannot_be_opened_or_created_is_not_called_damaged(tmp_path):
    (tmp_path / "is-a-folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    for path in (tmp_path / "is-a-folder", tmp_path / "a-file" / "slant-cache.sqlite"):  # sqlite, then mkdir's OSError
        with pytest.raises(SlantError, match="cannot write it .*disk is full — free space or choose another output "
                                             "folder with -o") as e:
            ScoreCache(path, "m")
        assert "delete" not in str(e.value)


class _Refusing:
    """An sqlite connection whose every statement fails with ``error``."""

    def __init__(self, error):
        self.error = error

    def execute(self, *args):
        raise self.error

    commit = execute


@pytest.mark.parametrize("message, code, expected", [
    ("attempt to write a readonly database", "SQLITE_READONLY", "cannot write it"),
    ("database or disk is full", "SQLITE_FULL", "cannot write it"),
    ("disk I/O error", "SQLITE_IOERR", "cannot write it"),
    ("database is locked", "SQLITE_BUSY", "in use by another process"),
])
def test_operational_errors_keep_the_cache(tmp_path, monkeypatch, message, code, expected):
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = code
    monkeypatch.setattr(sqlite3, "connect", lambda path: _Refusing(error))
    with pytest.raises(SlantError, match=expected) as e:
        ScoreCache(tmp_path / "slant-cache.sqlite", "m")
    assert message in str(e.value) and "delete" not in str(e.value)


def test_a_full_disk_mid_run_is_one_line_not_a_traceback(tmp_path):
    cache = ScoreCache(tmp_path / "slant-cache.sqlite", "m")
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorname = "SQLITE_FULL"
    cache.db = _Refusing(error)
    with pytest.raises(SlantError, match="database or disk is full.*free space"):
        cache.put("A.", ArticleScore(doc="d", sentences=[], threshold=0.5))
