"""The pseudonymisation key (loading, guarding, creating) and the keyed tokens made with it."""

from __future__ import annotations

import base64
import os
import stat
from datetime import date

import numpy as np
import pandas as pd
import pytest

from youth_safety.config import Settings
from youth_safety.privacy import SecretKeyError, ensure_development_key, key_id, load_key, tokenise
from youth_safety.privacy.keys import ENV_VAR, SECRET_NAME, key_path

KEY = bytes(range(32))
OTHER_KEY = bytes(range(100, 132))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.delenv(ENV_VAR, raising=False)
    return Settings(home=tmp_path)


def write_key(settings: Settings, text: str, mode: int = 0o600) -> None:
    path = key_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def assert_hides(text: str, key: bytes) -> None:
    """The key appears in none of its usual spellings."""
    for spelling in (key.hex(), key.hex().upper(), base64.b64encode(key).decode(), repr(key)[2:-1]):
        assert spelling not in text


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_environment_variable_beats_the_file(settings, monkeypatch):
    write_key(settings, KEY.hex())
    monkeypatch.setenv(ENV_VAR, base64.b64encode(OTHER_KEY).decode())
    assert load_key(settings) == OTHER_KEY
    monkeypatch.delenv(ENV_VAR)
    assert load_key(settings) == KEY


def test_a_secret_store_beats_the_file_and_the_environment_beats_both(settings, monkeypatch):
    write_key(settings, KEY.hex())
    store = {SECRET_NAME: OTHER_KEY.hex()}
    assert load_key(settings, store.get) == OTHER_KEY
    assert load_key(settings, {}.get) == KEY  # the store does not hold it: the file
    monkeypatch.setenv(ENV_VAR, KEY.hex())
    assert load_key(settings, store.get) == KEY


def test_an_open_key_file_is_refused_naming_path_and_mode_not_key(settings):
    write_key(settings, KEY.hex(), mode=0o644)
    with pytest.raises(SecretKeyError) as caught:
        load_key(settings)
    message = str(caught.value)
    assert str(key_path(settings)) in message and "0644" in message
    assert_hides(message + repr(caught.value), KEY)


@pytest.mark.parametrize("where", ["env", "file"])
def test_a_short_key_is_refused(settings, monkeypatch, where):
    short = KEY[:31]
    if where == "env":
        monkeypatch.setenv(ENV_VAR, short.hex())
    else:
        write_key(settings, short.hex())
    with pytest.raises(SecretKeyError, match="31 bytes") as caught:
        load_key(settings)
    assert_hides(str(caught.value), short)


def test_missing_or_garbled_keys_are_refused_without_quoting_them(settings, monkeypatch):
    with pytest.raises(SecretKeyError, match="hmac.key"):
        load_key(settings)
    garbled = KEY.hex() + "!"
    monkeypatch.setenv(ENV_VAR, garbled)
    with pytest.raises(SecretKeyError, match="not hex or base64") as caught:
        load_key(settings)
    assert garbled not in str(caught.value) and garbled not in repr(caught.value)


def test_development_key_is_created_private_once_and_never_overwritten(settings):
    path, created = ensure_development_key(settings)
    assert created and path == key_path(settings)
    assert mode_of(path) == 0o600 and mode_of(path.parent) == 0o700
    first = load_key(settings)
    assert len(first) == 32
    assert ensure_development_key(settings) == (path, False)
    assert load_key(settings) == first


def test_the_key_hides_in_repr_str_and_format(settings, monkeypatch):
    monkeypatch.setenv(ENV_VAR, KEY.hex())
    key = load_key(settings)
    for shown in (repr(key), str(key), f"{key}", repr([key]), repr(settings)):
        assert_hides(shown, KEY)
    assert key_id(KEY) in repr(key)


def test_key_id_is_short_stable_and_differs_by_key():
    assert key_id(KEY) == key_id(KEY) != key_id(OTHER_KEY)
    assert len(key_id(KEY)) == 8 and key_id(KEY) not in KEY.hex()


def test_tokens_are_stable_role_and_key_separated():
    token = tokenise(KEY, "upn", ["A123"])[0]
    assert token.startswith("upn:") and len(token) == len("upn:") + 32
    assert tokenise(KEY, "upn", pd.Series(["A123"]))[0] == token
    assert tokenise(KEY, "agency_id", ["A123"])[0].removeprefix("agency_id:") != token.removeprefix("upn:")
    assert tokenise(OTHER_KEY, "upn", ["A123"])[0] != token
    assert tokenise(KEY, "upn", ["A124"])[0] != token


@pytest.mark.parametrize(
    ("role", "same"),
    [
        ("upn", [" a123 ", "A123", "a 123"]),
        ("surname", ["Zoë  O'Brien", "ZOE OBRIEN", "zoe-obrien"]),
        ("nhs_number", ["943 476 5919", "9434765919", "943-476-5919"]),
        ("pnc_id", ["24/0001234 x", "24/0001234X"]),
        ("postcode", ["sw1a1aa", " SW1A  1AA", "SW1A 1AA"]),
        ("dob", ["2010-01-02", date(2010, 1, 2), pd.Timestamp("2010-01-02 13:00")]),
        ("agency_id", [" P123 ", "P123"]),
    ],
)
def test_normalisation_makes_spellings_of_one_identifier_match(role, same):
    assert len(set(tokenise(KEY, role, np.array(same, dtype=object)))) == 1


def test_missing_and_empty_values_stay_none():
    tokens = tokenise(KEY, "forename", pd.Series(["Ann", None, np.nan, pd.NA, "  ", "Ann"]))
    assert tokens[0] == tokens[5] is not None
    assert list(tokens[1:5]) == [None] * 4


def test_a_bad_dob_is_refused_by_position_without_quoting_it():
    with pytest.raises(ValueError, match="position 1") as caught:
        tokenise(KEY, "dob", ["2010-01-02", "31/01/2010"])
    chain = f"{caught.value!r} {caught.value.__cause__!r} {caught.value.__context__!r}"
    assert "31/01/2010" not in chain


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown identifier kind"):
        tokenise(KEY, "shoe_size", ["9"])


def test_agency_id_namespaces_share_rules_but_never_tokens():
    pupil = tokenise(KEY, "pupil_id", [" P123 "], kind="agency_id")[0]
    assert pupil == tokenise(KEY, "pupil_id", ["P123"], kind="agency_id")[0]
    assert pupil.startswith("pupil_id:")
    assert pupil.split(":")[1] != tokenise(KEY, "yot_id", ["P123"], kind="agency_id")[0].split(":")[1]
