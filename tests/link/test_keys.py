"""Key files: written owner-only and atomically, never through a symbolic link, read back; a
file others may read, a weak key or any malformed field is refused with the file and field."""
from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given, settings, strategies as st

from fsw.link.errors import KeyFileError
from fsw.link.keys import KeyRing, load_keyring, load_keys, write_key_file, write_keyring


def private(path, text):
    path.write_text(text)
    path.chmod(0o600)


def test_written_keys_read_back_and_are_owner_only(tmp_path):
    path = tmp_path / "keys.json"
    keys = {1: b"\x01" * 32, 300: b"\x02" * 16}
    write_key_file(path, keys, master={0: b"\x09" * 32})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(path) == keys
    assert load_keyring(path).master == {0: b"\x09" * 32}
    with pytest.raises(KeyFileError, match="exists"):
        write_key_file(path, keys)
    write_key_file(path, {2: b"\x03" * 32}, overwrite=True)
    assert load_keys(path) == {2: b"\x03" * 32}
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]  # no temporary left behind


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o666])
def test_a_key_file_group_or_others_can_read_is_refused(tmp_path, mode):
    path = tmp_path / "k.json"
    write_key_file(path, {1: b"\x01" * 32})
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"mode {mode:04o} lets group or others read it"):
        load_keys(path)


@pytest.mark.parametrize("content, field", [
    (None, "not found"),
    ("{", "not JSON"),
    (json.dumps({"keys": {"1": "00" * 32}}), "'format'"),
    (json.dumps({"format": "msr-keys/1"}), "'keys'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"x": "11" * 32}}), "'keys.x'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"70000": "11" * 32}}), "'keys.70000'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "zz"}}), "'keys.1': key is not hex"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "11" * 8}}), "'keys.1': key shorter"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "00" * 32}}), "'keys.1': key is all zeros"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": 5}}), "'keys.1'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "11" * 32}, "master": {"1": "22" * 32}}),
     "'master': id 1 is also a session key"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "11" * 32}, "master": {"0": "00" * 16}}),
     "'master.0': key is all zeros"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "11" * 32}, "generations": {"1": -1}}),
     "'generations.1'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "11" * 32}, "generations": {"\u00b2": 1}}),
     "'generations.\u00b2'"),
])
def test_bad_key_files_name_file_and_field(tmp_path, content, field):
    path = tmp_path / "k.json"
    if content is not None:
        private(path, content)
    with pytest.raises(KeyFileError) as err:
        load_keys(path)
    assert str(path) in str(err.value) and field in str(err.value)
    assert "\n" not in str(err.value)


def test_weak_keys_are_not_written(tmp_path):
    for keys in ({1: bytes(32)}, {1: b"\x01" * 15}, {70000: b"\x01" * 32}):
        with pytest.raises(KeyFileError):
            write_key_file(tmp_path / "k.json", keys)
    assert not (tmp_path / "k.json").exists()


def test_force_never_writes_through_a_symbolic_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "keys.json"
    link.symlink_to(victim)
    for overwrite in (False, True):
        with pytest.raises(KeyFileError, match="symbolic link"):
            write_key_file(link, {1: b"\x01" * 32}, overwrite=overwrite)
    assert victim.read_text() == "precious\n" and link.is_symlink()
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "k.json")
    with pytest.raises(KeyFileError, match="symbolic link"):
        write_key_file(dangling, {1: b"\x01" * 32}, overwrite=True)
    assert not (tmp_path / "nowhere").exists()


def test_write_errors_are_one_line(tmp_path):
    with pytest.raises(KeyFileError, match="cannot write: No such file or directory"):
        write_key_file(tmp_path / "missing" / "k.json", {1: b"\x01" * 32})
    (tmp_path / "file").write_text("")
    with pytest.raises(KeyFileError, match="cannot write"):
        write_key_file(tmp_path / "file" / "k.json", {1: b"\x01" * 32})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_a_clean_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(KeyFileError, match="cannot write: Permission denied"):
        write_key_file(ro / "k.json", {1: b"\x01" * 32})


def test_a_keyring_round_trips_with_generations(tmp_path):
    ring = KeyRing({7: b"\x07" * 32}, {0: b"\x05" * 32}, {7: 3})
    write_keyring(tmp_path / "k.json", ring)
    assert load_keyring(tmp_path / "k.json") == ring


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=70),
                           lambda c: st.lists(c, max_size=3)
                           | st.dictionaries(st.text(max_size=5), c, max_size=3))


@settings(max_examples=100)
@given(json_values, st.binary(max_size=40))
def test_arbitrary_key_files_raise_only_key_file_error(tmp_path_factory, doc, raw):
    path = tmp_path_factory.mktemp("k") / "k.json"
    for content in (json.dumps(doc).encode(), json.dumps({"format": "msr-keys/1", "keys": doc})
                    .encode(), json.dumps({"format": "msr-keys/1", "keys": {"1": "11" * 32},
                                           "master": doc, "generations": doc}).encode(), raw):
        path.write_bytes(content)
        path.chmod(0o600)
        try:
            load_keyring(path)
        except KeyFileError:
            pass
