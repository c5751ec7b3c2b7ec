"""Dates as articles write them, and the ambiguity of a numeric day and month."""

from __future__ import annotations

from datetime import date

import pytest

from archive.ingest.dates import is_filler, parse_date


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2021-03-03", "2021-03-03"),
        ("2021-03-01T04:06:16+00:00", "2021-03-01"),
        ("2022-05-17T23:48:46", "2022-05-17"),
        ("2018-12-01 00:00:00", "2018-12-01"),
        ("2021/03/04", "2021-03-04"),
        ("2021", "2021"),
        ("2021-03", "2021-03"),
        ("March 3, 2021", "2021-03-03"),
        ("3 March 2021", "2021-03-03"),
        ("Mar 3 2021", "2021-03-03"),
        ("Wednesday, March 3rd, 2021", "2021-03-03"),
        ("Sept. 9, 2020", "2020-09-09"),
        ("March 2021", "2021-03"),
        ("3 марта 2021", "2021-03-03"),
        ("3 марта 2021 г.", "2021-03-03"),
        ("Мар 1, 2021", "2021-03-01"),
        ("17 травня 2022", "2022-05-17"),
        ("08 de enero de 2019", "2019-01-08"),
        ("Martes 17 de marzo de 2020", "2020-03-17"),
        ("3. März 2021", "2021-03-03"),
        ("1er décembre 2020", "2020-12-01"),
        ("5 de março de 2019", "2019-03-05"),
        ("21 aprile 2018", "2018-04-21"),
        ("23/12/2020", "2020-12-23"),
        ("7/23/17", "2017-07-23"),  # only one reading exists: not ambiguous
        ("5.5.2021", "2021-05-05"),  # both readings agree
        ("31-12-99", "1999-12-31"),
    ],
)
def test_parse_date_unambiguous(raw: str, iso: str) -> None:
    assert parse_date(raw) == (iso, False, ())


def test_ambiguous_numeric_dates_keep_both_readings() -> None:
    assert parse_date("11/6/23") == ("2023-06-11", True, ("2023-06-11", "2023-11-06"))
    assert parse_date("11/6/23", "MDY") == ("2023-11-06", True, ("2023-11-06", "2023-06-11"))
    assert parse_date("03.04.2021") == ("2021-04-03", True, ("2021-04-03", "2021-03-04"))
    assert parse_date("7/23/17", "DMY") == ("2017-07-23", False, ())


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2020",
        "13/13/2020",
        "0001-11-30",
        "2021-02-30",
        "",
        "yesterday",
        "Summit on March 20 2023",
        "March 32, 2021",
        "12345",
        f"{date.today().year + 5}-01-01",
    ],
)
def test_invalid_dates(raw: str) -> None:
    assert parse_date(raw) == (None, False, ())


def test_two_digit_years_are_never_in_the_future() -> None:
    this_year = date.today().year % 100
    assert parse_date(f"1/1/{this_year:02d}")[0] == f"{2000 + this_year}-01-01"
    assert parse_date(f"1/1/{this_year + 1:02d}")[0] == f"{1901 + this_year}-01-01"
    assert parse_date("1/1/99")[0] == "1999-01-01"


def test_words_around_a_date() -> None:
    assert all(map(is_filler, ["on", "Published", "Miércoles", "г", "UTC"]))
    assert not any(map(is_filler, ["summit", "March", "Kyiv", "2021"]))
