"""`psa-copilot users set-keys`: a technician's own ConnectWise private key, read from stdin and stored only as
Fernet ciphertext under COPILOT_SECRET_KEY or a generated, owner-only secret.key."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cli import main
from identity.keys import KEY_FILE, KeyBox, KeysUnreadable, _create_key_file
from identity.technicians import Technicians, keys_for
from storage.technicians import TechnicianStore

EMAIL = "kbrooks@example.com"
PUBLIC = "pub-kbrooks-1234"
PRIVATE = "Priv4teKeyOfKevin-9f2c41d7e1"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("COPILOT_AUTH", "COPILOT_SECRET_KEY", "CW_SITE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    # No CW_SITE and no sandbox.db: the member is accepted with a warning, without starting a sandbox.
    TechnicianStore().add(EMAIL, "kbrooks")
    return tmp_path


def set_keys(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str,
             email: str = EMAIL) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["users", "set-keys", email, "--public-key", PUBLIC])
    out, err = capsys.readouterr()
    return code, out, err


def every_file(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_no_file_under_the_data_dir_holds_the_private_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A reader holding the database open keeps SQLite's -wal and -shm files on disk, so they are searched too.
    with sqlite3.connect(data_dir / "copilot.db") as reader:
        reader.execute("SELECT count(*) FROM technicians").fetchone()
        code, out, err = set_keys(monkeypatch, capsys, PRIVATE + "\n")
        assert code == 0 and PRIVATE not in out + err
        files = every_file(data_dir)
        assert {p.name for p in files} >= {"copilot.db", "copilot.db-wal", "copilot.db-shm", KEY_FILE}
        for path in files:
            content = path.read_bytes()
            assert PRIVATE.encode() not in content and PRIVATE.encode().hex().encode() not in content, path
    keys = keys_for(EMAIL.upper())
    assert keys is not None and keys.public_key == PUBLIC and keys.private_key.get_secret_value() == PRIVATE
    assert PRIVATE not in repr(keys) and PRIVATE not in str(keys) and PRIVATE not in keys.model_dump_json()
    technician = Technicians().lookup_by_email(EMAIL)
    assert technician is not None and technician.has_keys and PRIVATE not in technician.model_dump_json()


def test_the_generated_key_file_is_owner_only_and_reused(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not (data_dir / KEY_FILE).exists()
    assert set_keys(monkeypatch, capsys, PRIVATE)[0] == 0
    key_file = data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    assert set_keys(monkeypatch, capsys, PRIVATE + "-2")[0] == 0
    assert key_file.read_bytes() == first
    keys = Technicians().keys_for(EMAIL)
    assert keys is not None and keys.private_key.get_secret_value() == PRIVATE + "-2"
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(f".{KEY_FILE}")] == []  # no temporary left


def test_copilot_secret_key_is_used_when_set(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("COPILOT_SECRET_KEY", key.decode())
    assert set_keys(monkeypatch, capsys, PRIVATE)[0] == 0
    assert not (data_dir / KEY_FILE).exists()
    stored = TechnicianStore().encrypted_keys(EMAIL)
    assert stored is not None and KeyBox(key).decrypt(stored[1]) == PRIVATE
    with pytest.raises(KeysUnreadable) as caught:
        KeyBox(Fernet.generate_key()).decrypt(stored[1])
    assert PRIVATE not in str(caught.value)


def test_a_bad_copilot_secret_key_is_one_line_naming_it(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_SECRET_KEY", "not-a-fernet-key")
    code, out, err = set_keys(monkeypatch, capsys, PRIVATE)
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "COPILOT_SECRET_KEY" in err
    assert "not-a-fernet-key" not in err and PRIVATE not in err
    assert TechnicianStore().encrypted_keys(EMAIL) is None and not (data_dir / KEY_FILE).exists()


@pytest.mark.parametrize("stdin", ["", "\n", "   \n"])
def test_an_empty_private_key_is_refused(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str
) -> None:
    code, _, err = set_keys(monkeypatch, capsys, stdin)
    assert code == 2 and "private key is empty" in err and len(err.splitlines()) == 1
    assert TechnicianStore().encrypted_keys(EMAIL) is None


def test_keys_for_an_unknown_technician_are_refused_before_anything_is_written(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = set_keys(monkeypatch, capsys, PRIVATE, email="nobody@example.com")
    assert code == 2 and "no technician nobody@example.com" in err and PRIVATE not in err
    assert not (data_dir / KEY_FILE).exists()
    assert Technicians().keys_for("nobody@example.com") is None and Technicians().keys_for(EMAIL) is None


def test_an_existing_key_file_is_used_not_replaced(data_dir: Path) -> None:
    theirs = Fernet.generate_key()
    fd = os.open(data_dir / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(theirs)
    box = KeyBox.from_env(data_dir)
    assert KeyBox(theirs).decrypt(box.encrypt(PRIVATE)) == PRIVATE
    # Losing the race to create it (the link finds the file there) keeps the other process's key too.
    _create_key_file(data_dir / KEY_FILE)
    assert (data_dir / KEY_FILE).read_bytes() == theirs
    assert sorted(p.name for p in data_dir.iterdir()) == ["copilot.db", KEY_FILE]
