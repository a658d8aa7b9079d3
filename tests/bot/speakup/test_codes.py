"""Case codes, passphrases and their slow, salted hashes."""

from __future__ import annotations

import re

from bot.speakup.codes import (
    ALPHABET,
    case_code,
    check_passphrase,
    hash_passphrase,
    normalise_code,
    passphrase,
)


def test_codes_look_like_su_7k3m_q9_and_avoid_look_alike_characters() -> None:
    codes = {case_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(re.fullmatch(r"SU-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}", c) for c in codes)
    assert not set("01ILO") & set(ALPHABET)


def test_a_code_typed_back_loosely_is_the_same_code() -> None:
    assert normalise_code(" su 7k3m q9 ") == "SU-7K3M-Q9"
    assert normalise_code("7K3M-Q9") == "SU-7K3M-Q9"
    assert normalise_code("SU-7K3M") == ""


def test_passphrases_are_long_grouped_and_unique() -> None:
    phrases = {passphrase() for _ in range(200)}
    assert len(phrases) == 200
    assert all(re.fullmatch(r"([2-9A-HJKMNP-Z]{5}-){3}[2-9A-HJKMNP-Z]{5}", p) for p in phrases)


def test_only_a_slow_salted_hash_is_kept_and_it_checks_loosely_typed_input() -> None:
    phrase = passphrase()
    first, second = hash_passphrase(phrase), hash_passphrase(phrase)
    assert first != second  # salted
    assert first.startswith("scrypt$16384$") and phrase not in first
    assert check_passphrase(phrase.lower().replace("-", " "), first)
    assert not check_passphrase(passphrase(), first)
    assert not check_passphrase(phrase, "md5$whatever")
