"""The PII hash key: created atomically, one key under concurrent first use, refused when empty, short
or readable by others, and never quoted in an error."""

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lake_assets.core import secrets as lake_secrets
from lake_assets.core.secrets import KEY_FILE, MIN_KEY_BYTES, PiiKeyError, checked_pii_key, local_pii_key

GOOD = b"0123456789abcdef0123456789abcdef"  # exactly 32 bytes


def write_key(root: Path, content: bytes, mode: int = 0o600) -> Path:
    path = root / KEY_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    path.chmod(mode)
    return path


def test_checked_pii_key_accepts_32_bytes_unchanged():
    assert MIN_KEY_BYTES == 32
    assert checked_pii_key(GOOD, "LAKE_PII_HASH_KEY") == GOOD
    assert checked_pii_key(GOOD + b"\n", "LAKE_PII_HASH_KEY") == GOOD + b"\n"  # as configured: hashes unchanged


@pytest.mark.parametrize("key", [b"", b"  \n", b"hunter2-hunter2", GOOD[:31], b" " + GOOD[:31] + b"\n"])
def test_checked_pii_key_refuses_empty_and_short_keys_without_quoting_them(key):
    with pytest.raises(PiiKeyError) as raised:
        checked_pii_key(key, "secret lake/pii")
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert "secret lake/pii" in message and ("is empty" in message or "too short" in message)
    assert "at least 32" in message
    if key.strip():
        assert key.strip().decode() not in message


def test_empty_key_file_is_refused_and_kept(tmp_path):
    path = write_key(tmp_path, b"")
    with pytest.raises(PiiKeyError, match="is empty") as raised:
        local_pii_key(str(tmp_path))
    assert str(path) in str(raised.value) and "restore the original key" in str(raised.value)
    assert path.read_bytes() == b""  # never replaced behind the operator's back


def test_short_key_file_is_refused(tmp_path):
    write_key(tmp_path, b"abcdef0123\n")
    with pytest.raises(PiiKeyError, match=r"too short \(10 bytes, at least 32 needed\)") as raised:
        local_pii_key(str(tmp_path))
    assert "abcdef0123" not in str(raised.value)


def test_key_file_readable_by_others_is_refused(tmp_path):
    path = write_key(tmp_path, GOOD * 2, mode=0o644)
    with pytest.raises(PiiKeyError, match=r"mode 644") as raised:
        local_pii_key(str(tmp_path))
    assert f"chmod 600 {path}" in str(raised.value)
    path.chmod(0o600)
    assert local_pii_key(str(tmp_path)) == GOOD * 2


def test_new_key_is_64_hex_chars_mode_0600_and_stable(tmp_path):
    key = local_pii_key(str(tmp_path))
    path = tmp_path / KEY_FILE
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert local_pii_key(str(tmp_path)) == key
    assert sorted(p.name for p in path.parent.iterdir()) == ["pii_hash_key"]  # no temporary left behind


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_failed_write_leaves_no_key_file(tmp_path, monkeypatch, failing):
    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lake_secrets.os, failing, broken)
    with pytest.raises(OSError, match="No space left"):
        local_pii_key(str(tmp_path))
    monkeypatch.undo()
    assert list((tmp_path / KEY_FILE).parent.iterdir()) == []  # neither a key nor a temporary file
    assert len(local_pii_key(str(tmp_path))) == 64  # the next run creates a full key


CRASH_AFTER_CREATE = """
import os, secrets, sys
real = secrets.token_hex
def dying(nbytes=None):
    if nbytes == 32:  # the key material: the process dies before it is written
        os._exit(9)
    return real(nbytes)
secrets.token_hex = dying
from lake_assets.core.secrets import local_pii_key
local_pii_key(sys.argv[1])
"""


def test_process_dying_while_creating_the_key_leaves_no_empty_key(tmp_path):
    done = subprocess.run([sys.executable, "-c", CRASH_AFTER_CREATE, str(tmp_path)], capture_output=True)
    assert done.returncode == 9, done.stderr
    assert not (tmp_path / KEY_FILE).exists()
    assert len(local_pii_key(str(tmp_path))) == 64


def _first_use(root: str, barrier, results) -> None:
    barrier.wait()
    try:
        results.put(("ok", local_pii_key(root)))
    except Exception as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.parametrize("round_", range(40))
def test_concurrent_first_use_yields_one_full_key(tmp_path, round_):
    processes = 16
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_first_use, args=(str(tmp_path), barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [kind for kind, _ in outcomes] == ["ok"] * processes, outcomes
    keys = {key for _, key in outcomes}
    assert len(keys) == 1
    (key,) = keys
    assert len(key) == 64 and (tmp_path / KEY_FILE).read_bytes() == key
    assert [p.name for p in (tmp_path / KEY_FILE).parent.iterdir()] == ["pii_hash_key"]
    assert os.stat(tmp_path / KEY_FILE).st_nlink == 1
