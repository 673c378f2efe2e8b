"""Button payloads: one format, parsed into parts, never sliced."""

from enum import StrEnum

import pytest

from handlers.payload import Payload


class Field(StrEnum):
    PRICE = "price"
    TITLE = "title"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("product:edit:price", Payload("product", "edit", "price")),
        ("join:yes", Payload("join", "yes")),
        ("post:category:food", Payload("post", "category", "food")),
        ("erase:no", Payload("erase", "no")),
    ],
)
def test_a_payload_parses_into_its_parts_and_back(text: str, parsed: Payload) -> None:
    assert Payload.parse(text) == parsed
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "/hapus 12 ya",  # a command button is no flow payload
        "join",
        "join:",
        ":yes",
        "Join:Yes",
        "product:edit:price:extra",
        "review:edit:two words",
        "review:edit:" + "x" * 41,
        "join:yes\n",
    ],
)
def test_anything_else_is_no_payload(text: str | None) -> None:
    assert Payload.parse(text) is None


def test_the_argument_is_read_as_a_typed_value() -> None:
    assert Payload("product", "edit", "price").arg_as(Field) is Field.PRICE
    assert Payload("review", "edit", "colour").arg_as(Field) is None
    assert Payload("review", "edit").arg_as(Field) is None


def test_a_payload_that_could_not_be_parsed_back_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="not a valid payload"):
        Payload("review", "edit", "two words")
    with pytest.raises(ValueError, match="not a valid payload"):
        Payload("Review", "edit")
