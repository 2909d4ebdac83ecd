"""Key files: written owner-only, read back, and every problem names the file and field."""
from __future__ import annotations

import json
import stat

import pytest

from fsw.link.errors import KeyFileError
from fsw.link.keys import load_keys, write_key_file


def test_written_keys_read_back_and_are_owner_only(tmp_path):
    path = tmp_path / "keys.json"
    keys = {1: b"\x01" * 32, 300: b"\x02" * 16}
    write_key_file(path, keys)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(path) == keys
    with pytest.raises(KeyFileError, match="exists"):
        write_key_file(path, keys)
    write_key_file(path, {2: b"\x03" * 32}, overwrite=True)
    assert load_keys(path) == {2: b"\x03" * 32}


@pytest.mark.parametrize("content, field", [
    (None, "not found"),
    ("{", "not JSON"),
    (json.dumps({"keys": {"1": "00" * 32}}), "'format'"),
    (json.dumps({"format": "msr-keys/1"}), "'keys'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"x": "00" * 32}}), "'keys.x'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"70000": "00" * 32}}), "'keys.70000'"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "zz"}}), "'keys.1': key is not hex"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": "00" * 8}}), "'keys.1': key shorter"),
    (json.dumps({"format": "msr-keys/1", "keys": {"1": 5}}), "'keys.1'"),
])
def test_bad_key_files_name_file_and_field(tmp_path, content, field):
    path = tmp_path / "k.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(KeyFileError) as err:
        load_keys(path)
    assert str(path) in str(err.value) and field in str(err.value)


from hypothesis import given, settings, strategies as st  # noqa: E402

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=70),
                           lambda c: st.lists(c, max_size=3)
                           | st.dictionaries(st.text(max_size=5), c, max_size=3))


@settings(max_examples=100)
@given(json_values, st.binary(max_size=40))
def test_arbitrary_key_files_raise_only_key_file_error(tmp_path_factory, doc, raw):
    path = tmp_path_factory.mktemp("k") / "k.json"
    for content in (json.dumps(doc).encode(), json.dumps({"format": "msr-keys/1", "keys": doc})
                    .encode(), raw):
        path.write_bytes(content)
        try:
            load_keys(path)
        except KeyFileError:
            pass
