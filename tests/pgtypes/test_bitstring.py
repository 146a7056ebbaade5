"""BitString: asyncpg's bit string value class (reference section 9.3), every rule of it."""

from __future__ import annotations

import copy
import doctest
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgtypes import _bitstring
from pgtypes._bitstring import BitString

BIT_TEXT = st.text(alphabet="01", max_size=80)


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(_bitstring)
    assert result.attempted >= 10
    assert result.failed == 0


# -- construction ---------------------------------------------------------------------------------


def test_from_a_string_of_bits() -> None:
    bits = BitString("10101")
    assert len(bits) == 5
    assert bits.bytes == b"\xa8"
    assert [bits[i] for i in range(5)] == [1, 0, 1, 0, 1]


def test_spaces_are_ignored() -> None:
    assert BitString(" 1010 1 ") == BitString("10101")
    assert BitString("1111 0000 1").bytes == b"\xf0\x80"


def test_empty_and_none_give_no_bits() -> None:
    for bits in (BitString(), BitString(None), BitString(""), BitString("   ")):
        assert len(bits) == 0
        assert bits.bytes == b""
        assert bits == BitString()
        assert not bits


@pytest.mark.parametrize(
    ("text", "position"), [("102", 2), ("10 2", 3), ("x", 0), ("1 1 1 -", 6), ("1\t0", 1)]
)
def test_other_characters_are_rejected_by_position(text: str, position: int) -> None:
    with pytest.raises(ValueError, match=rf"^invalid bit value at position {position}$"):
        BitString(text)


def test_a_non_string_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"^expected str of '0' and '1', got bytes$"):
        BitString(b"101")  # type: ignore[arg-type]  # a wrong type on purpose


def test_frombytes_defaults_to_eight_bits_per_byte() -> None:
    bits = BitString.frombytes(b"\x0f\x80")
    assert len(bits) == 16
    assert bits == BitString("0000 1111 1000 0000")
    assert BitString.frombytes() == BitString()
    assert BitString.frombytes(None, 0) == BitString()
    assert BitString.frombytes(bytearray(b"\x01")) == BitString("00000001")
    assert BitString.frombytes(memoryview(b"\x80")) == BitString("10000000")


def test_frombytes_with_a_bit_length() -> None:
    assert BitString.frombytes(b"\xa8", 5) == BitString("10101")
    assert BitString.frombytes(b"\xff\xff", 9) == BitString("1111 1111 1")
    assert BitString.frombytes(b"", 0) == BitString()


def test_frombytes_clears_the_unused_bits() -> None:
    bits = BitString.frombytes(b"\xff", 3)
    assert bits.bytes == b"\xe0"
    assert bits == BitString("111")
    assert hash(bits) == hash(BitString("111"))


@pytest.mark.parametrize(
    ("data", "bitlength"), [(b"\x00", -1), (b"\x00", 9), (b"\x00\x00", 8), (b"", 1), (None, 1)]
)
def test_frombytes_rejects_a_bit_length_that_does_not_match(data: bytes | None, bitlength: int) -> None:
    with pytest.raises(ValueError, match=r"^invalid bit length specified$"):
        BitString.frombytes(data, bitlength)


# -- reading --------------------------------------------------------------------------------------


def test_as_string_groups_in_fours() -> None:
    assert BitString("101011110").as_string() == "1010 1111 0"
    assert BitString("1010").as_string() == "1010"
    assert BitString().as_string() == ""


def test_indexing() -> None:
    bits = BitString("1000 0000 01")
    assert bits[0] == 1 and bits[1] == 0 and bits[9] == 1 and bits[8] == 0
    assert bits[-1] == 1 and bits[-10] == 1 and bits[-2] == 0
    for index in (10, -11, 100):
        with pytest.raises(IndexError, match=r"^index out of range$"):
            bits[index]
    with pytest.raises(IndexError, match=r"^index out of range$"):
        BitString()[0]


def test_slicing_is_not_supported() -> None:
    with pytest.raises(NotImplementedError, match="slicing"):
        BitString("1010")[1:3]


def test_an_index_must_be_an_integer() -> None:
    with pytest.raises(TypeError):
        BitString("1010")["1"]  # type: ignore[index]  # a wrong type on purpose


def test_iteration_gives_the_bits() -> None:
    assert list(BitString("1101 0")) == [1, 1, 0, 1, 0]
    assert list(BitString()) == []


def test_to_int() -> None:
    bits = BitString("0000 0110")
    assert bits.to_int() == 6
    assert bits.to_int("little") == 96
    assert BitString("1111").to_int(signed=True) == -1
    assert BitString("1000").to_int(signed=True) == -8
    assert BitString("0111").to_int(signed=True) == 7
    assert BitString("0001").to_int("little", signed=True) == -8
    assert BitString().to_int() == 0 and BitString().to_int(signed=True) == 0


def test_to_int_rejects_a_bad_bitorder() -> None:
    with pytest.raises(ValueError, match=r"^bitorder must be either 'big' or 'little', got 'middle'$"):
        BitString("1").to_int("middle")


def test_from_int() -> None:
    assert BitString.from_int(6, 8) == BitString("0000 0110")
    assert BitString.from_int(6, 8, "little") == BitString("0110 0000")
    assert BitString.from_int(-1, 4, signed=True) == BitString("1111")
    assert BitString.from_int(-8, 4, signed=True) == BitString("1000")
    assert BitString.from_int(7, 4, signed=True) == BitString("0111")
    assert BitString.from_int(15, 4) == BitString("1111")
    assert BitString.from_int(0, 0) == BitString() == BitString.from_int(0, 0, signed=True)
    assert BitString.from_int(True, 2) == BitString("01")


@pytest.mark.parametrize(
    ("x", "length", "signed", "message"),
    [
        (16, 4, False, r"^int 16 does not fit in 4 unsigned bits \(0\.\.15\)$"),
        (-1, 4, False, r"^cannot convert negative int -1 to an unsigned bit string$"),
        (8, 4, True, r"^int 8 does not fit in 4 signed bits \(-8\.\.7\)$"),
        (-9, 4, True, r"^int -9 does not fit in 4 signed bits \(-8\.\.7\)$"),
        (1, 0, False, r"^int 1 does not fit in 0 unsigned bits \(0\.\.0\)$"),
        (-1, 0, True, r"^int -1 does not fit in 0 signed bits \(0\.\.0\)$"),
        (1, 1, True, r"^int 1 does not fit in 1 signed bits \(-1\.\.0\)$"),
    ],
)
def test_from_int_overflow(x: int, length: int, signed: bool, message: str) -> None:
    with pytest.raises(OverflowError, match=message):
        BitString.from_int(x, length, signed=signed)


def test_from_int_rejects_a_negative_length_and_a_bad_bitorder() -> None:
    with pytest.raises(ValueError, match=r"^length must not be negative, got -1$"):
        BitString.from_int(0, -1)
    with pytest.raises(ValueError, match=r"^bitorder must be either 'big' or 'little', got 'BIG'$"):
        BitString.from_int(0, 1, "BIG")
    with pytest.raises(TypeError):
        BitString.from_int(1.5, 4)  # type: ignore[arg-type]  # a float on purpose


@given(
    st.integers(min_value=0, max_value=200).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, 2**n - 1)))
)
def test_unsigned_int_round_trip(case: tuple[int, int]) -> None:
    length, value = case
    for bitorder in ("big", "little"):
        bits = BitString.from_int(value, length, bitorder)
        assert len(bits) == length
        assert bits.to_int(bitorder) == value


@given(
    st.integers(min_value=1, max_value=200).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(-(2 ** (n - 1)), 2 ** (n - 1) - 1))
    )
)
def test_signed_int_round_trip(case: tuple[int, int]) -> None:
    length, value = case
    for bitorder in ("big", "little"):
        assert BitString.from_int(value, length, bitorder, signed=True).to_int(bitorder, signed=True) == value


@given(BIT_TEXT)
def test_string_round_trip(text: str) -> None:
    bits = BitString(text)
    assert len(bits) == len(text)
    assert bits.as_string().replace(" ", "") == text
    assert BitString(bits.as_string()) == bits
    assert BitString.frombytes(bits.bytes, len(bits)) == bits
    assert "".join(str(bit) for bit in bits) == text
    assert bits.to_int() == (int(text, 2) if text else 0)


# -- value semantics ------------------------------------------------------------------------------


def test_equality_and_hash() -> None:
    assert BitString("101") == BitString("1 01")
    assert hash(BitString("101")) == hash(BitString("1 01"))
    assert BitString("101") != BitString("1010")  # same packed bytes, another length
    assert BitString("101").bytes == BitString("1010").bytes
    assert BitString("101") != "101"
    assert len({BitString("1"), BitString("1"), BitString("10")}) == 2


def test_repr() -> None:
    assert repr(BitString("101010")) == "<BitString 1010 10>"
    assert repr(BitString()) == "<BitString >"


def test_is_immutable() -> None:
    bits = BitString("1")
    with pytest.raises(AttributeError):
        bits.bytes = b"\x00"  # type: ignore[misc]  # a read-only property, on purpose
    with pytest.raises(AttributeError):
        bits.other = 1  # type: ignore[attr-defined]  # slots: no new attributes


@given(BIT_TEXT)
def test_pickle_and_copy(text: str) -> None:
    bits = BitString(text)
    for clone in (pickle.loads(pickle.dumps(bits)), copy.copy(bits), copy.deepcopy(bits)):
        assert type(clone) is BitString
        assert clone == bits and len(clone) == len(bits)
