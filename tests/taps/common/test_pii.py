"""The one PII rule set (taps/common/pii.py): the masking rule, masks derived before plaintext goes, drop/hash/keep.

Expected masks are written out by hand from the rule in the module docstring (team-computed vectors); the
salted digest is pinned to the value ``printf 'pepper13800001111' | sha256sum`` prints.
"""

from __future__ import annotations

import pytest

from orderlayer.taps.common.pii import Mask, PiiPolicy, apply_pii_policy, is_masked, mask_name, mask_phone

PEPPER_PHONE_DIGEST = "sha256:6b1eaabe9060754999a805bd3b0873234e5bae077f64acc260f9dd68862e9944"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),  # 11 digits: first three and last four
        (" 13912340000 ", "139****0000"),
        ("13800001111_1234", "138****1111"),  # privacy relay number: the extension is not part of it
        ("13800001111,1234", "138****1111"),
        ("0571-88886666", "057****6666"),  # separators are not digits
        ("555-625-1199", "****1199"),  # 10 digits: only the last four, so four stay hidden
        ("+1 212-555-0142", "121****0142"),
        ("1234567", "****"),  # too short: nothing kept
        ("12345", "****"),
        ("138****5678", "138****5678"),  # the platform's own mask is kept
        ("(+1)213*****34", "(+1)213*****34"),
        ("dGhpcyBpcyBhIGNpcGhlcg==", None),  # a ciphertext is not a phone: never echoed
        ("", None),
        ("   ", None),
        (None, None),
        (13812345678, None),  # not text
    ],
)
def test_phone_masking_rule(value: object, masked: str | None) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧***"),
        ("林", "*"),  # one character: nothing kept
        ("Bob Norman", "B** N*****"),  # each word keeps its first letter
        ("  Zoë ", "Z**"),
        ("J D", "* *"),
        ("张*", "张*"),  # the platform's own mask is kept
        ("", None),
        (None, None),
    ],
)
def test_name_masking_rule(value: object, masked: str | None) -> None:
    assert mask_name(value) == masked


def test_masks_are_derived_before_the_plaintext_is_dropped_or_hashed() -> None:
    policy = PiiPolicy(
        drop_keys=frozenset({"name"}),
        hash_keys=frozenset({"phone"}),
        within={"addr": PiiPolicy(drop_keys=frozenset({"tel", "who"}))},
        masks=(
            Mask("phone", ("phone",), "phone_masked"),
            Mask("name", ("name",), "name_masked"),
            Mask("phone", ("mobile", "tel"), "tel", within="addr"),  # in place, from the first non-empty source
            Mask("name", ("who",), "who_masked", within="addr", plaintext=lambda v: len(v) <= 4),
        ),
    )
    record = {"phone": "13800001111", "name": "王小明", "addr": {"mobile": "", "tel": "13912345678", "who": "a-long-ciphertext"}}
    apply_pii_policy(record, policy, "pepper")
    assert record == {
        "phone": PEPPER_PHONE_DIGEST,
        "phone_masked": "138****1111",
        "name": None,
        "name_masked": "王**",
        "addr": {"mobile": "", "tel": "139****5678", "who": None, "who_masked": None},
    }


def test_a_mask_is_written_only_where_its_source_is_present() -> None:
    policy = PiiPolicy(masks=(Mask("phone", ("phone",), "phone_masked"), Mask("name", ("name",), "name", within="user")))
    record = {"id": 1, "user": "not an object"}
    assert apply_pii_policy(record, policy, "pepper") == {"id": 1, "user": "not an object"}


def test_within_rules_apply_only_inside_their_object_but_at_any_depth() -> None:
    policy = PiiPolicy(within={"customer": PiiPolicy(drop_keys=frozenset({"name"}), hash_keys=frozenset({"id"}))})
    record = {"id": 7, "name": "sku", "lines": [{"customer": {"id": "13800001111", "name": "王"}}]}
    apply_pii_policy(record, policy, "pepper")
    assert record == {"id": 7, "name": "sku", "lines": [{"customer": {"id": PEPPER_PHONE_DIGEST, "name": None}}]}


def test_keep_only_if_drops_values_without_the_safe_shape_everywhere() -> None:
    policy = PiiPolicy(keep_only_if={"tel": is_masked})
    rows = [{"tel": "138****1234"}, {"tel": "13812341234"}, {"tel": ""}, {"tel": 13812341234}, {"tel_2": "x"}]
    apply_pii_policy(rows, policy, "pepper")
    assert rows == [{"tel": "138****1234"}, {"tel": None}, {"tel": ""}, {"tel": None}, {"tel_2": "x"}]


def test_empty_values_are_not_hashed_and_a_salt_is_required() -> None:
    policy = PiiPolicy(hash_keys=frozenset({"buyer"}))
    assert apply_pii_policy({"buyer": ""}, policy, "pepper") == {"buyer": ""}
    assert apply_pii_policy({"buyer": None}, policy, "pepper") == {"buyer": None}
    with pytest.raises(ValueError, match="salt"):
        apply_pii_policy({"buyer": "b"}, policy, "")
