"""Values that tell the reader to put a password there are placeholders, not passwords."""

from __future__ import annotations

import pytest

from pgsweep.detectors.placeholder_phrases import is_instruction_phrase


@pytest.mark.parametrize(
    "value",
    [
        "replace-me", "replaceme", "change_me_in_production", "pleasechange", "please-change",
        "set-in-env", "fill-me-in", "change-this-later", "update_me_before_deploy",
        "yourStrong(!)Password", "mySecretPass", "enterYourPassword",
        "replace-me-with-a-random-string", "change_this_to_a_strong_password",
        "set-by-the-operator", "Replace with your password", "!!!SET POSTGRES_PASSWORD!!!",
        "??fill me in??",
    ],
)
def test_instructions(value: str) -> None:
    assert is_instruction_phrase(value)


@pytest.mark.parametrize(
    "value",
    ["Kq4-Wz8mTr", "setup", "settings", "replacement", "changes123", "yourself", "myPass",
     "update2024!", "set-Tq8", "passwordless", "set-to-Tq8x-7", "change-with-7Kq!",
     "!!Kq4-Wz8m!", "Tq8!!Wz!!"],
)
def test_passwords_and_other_words(value: str) -> None:
    assert not is_instruction_phrase(value)
