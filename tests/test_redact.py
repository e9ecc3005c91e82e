"""Redaction: contact and payment data leave the text, every other word and number stays exactly as it was.

The hard part is the numbers a sales call is full of that are NOT personal: years, dates, prices, times,
percentages, amounts, order numbers. Each positive below has a twin that must come through untouched.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.errors import InsightsError
from insights.redact import load_ner, redact


# -- e-mail ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Send it to dana.ruiz@northwind.com please.", "Send it to [email] please."),
    ("Mine is tom_okafor+crm@mail.harbor-logistics.co.uk, ok?", "Mine is [email], ok?"),
    ("CC: PRIYA@EXAMPLE.ORG;ops@example.org", "CC: [email];[email]"),
    ("<jonas.berg@acme.io>", "<[email]>"),
    ("you can email me at dana at northwind dot com, thanks", "you can email me at [email], thanks"),
    ("my address is dana dot ruiz at northwind dot co dot uk.", "my address is [email]."),
])
def test_email_addresses_written_or_spoken_are_replaced(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "We looked at northwind dot com before the call.",          # a website said aloud, no address given
    "Meet me at 10 at the office.",
    "The handle is @dana_ruiz on the forum.",
    "Version 2.4@beta shipped.",
])
def test_things_that_only_resemble_an_address_stay(text):
    assert redact(text) == text


# -- phones ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", [
    "+1 (415) 555-0132", "+1 415 555 0132", "+14155550132", "(415) 555-0132", "415-555-0132", "415.555.0132",
    "415 555 0132", "1-800-555-0199",
    "+44 20 7946 0958", "+44 (0)20 7946 0958", "020 7946 0958", "(020) 7946 0958", "07700 900123",
    "0161 496 0000", "+33 1 23 45 67 89", "+49 30 1234567", "0049 30 1234567", "+91 98765 43210",
])
def test_phone_numbers_in_international_us_and_uk_formats_are_replaced(number):
    assert redact(f"You can reach me on {number} after lunch.") == "You can reach me on [phone] after lunch."


def test_an_extension_goes_with_its_number():
    assert redact("Call 0161 496 0000 ext. 204 tomorrow") == "Call [phone] tomorrow"


def test_several_numbers_in_a_row_are_each_replaced():
    assert redact("415-555-0132, 415-555-0133 or +44 20 7946 0958.") == "[phone], [phone] or [phone]."


def test_digits_without_separators_are_a_phone_only_where_a_number_is_being_given():
    assert redact("call me on 4155550132 today") == "call me on [phone] today"
    assert redact("The batch id was 4155550132.") == "The batch id was 4155550132."


@pytest.mark.parametrize("text", [
    "In 2026 we plan to double the team.",
    "Churn went from 3.5% to 2.1% in a year, a 40 percent drop.",
    "Let us talk at 10:30 or 14:45:00.",
    "The quote was $1,250,000, or €1.250.000,00 for the EU entity.",
    "We have 1 250 000 000 rows and 12,000,000,000 events.",
    "Signed on 2026-03-04, renewed 04.03.2027, cancelled 03/04/2028.",
    "Between 2019 and 2021, and again 2022-2024.",
    "The years 2019 2020 2021 were flat.",
    "Order #415-555-0132 shipped.",
    "Invoice no. 020 7946 0958 is overdue.",
    "Ticket number 4155550132 was closed.",
    "It costs £415 555 0132? No, that is absurd.",
    "Version 3.14.159 fixed it.",
    "Give me 5 minutes, then 10, then 15.",
    "A tail 4111 0012 3456 7890 of an order number.",
])
def test_years_dates_prices_times_percentages_and_reference_numbers_are_not_phones(text):
    assert redact(text) == text


# -- payment cards ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("card", [
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",     # Visa test number
    "5500 0055 5555 5559",                                                 # Mastercard
    "3782 822463 10005",                                                   # Amex, 15 digits
    "6011 0009 9013 9424",                                                 # Discover
    "4222222222222",                                                       # 13 digits
])
def test_luhn_valid_card_numbers_are_replaced(card):
    assert redact(f"The card is {card}, expiry next May.") == "The card is [card], expiry next May."


@pytest.mark.parametrize("text", [
    "Order 4111 1111 1111 1112 is on its way.",            # one digit off: fails Luhn
    "Tracking 4417-2290-1183-5520 updated.",
    "Account 1234567890123 was merged.",
    "0000 0000 0000 0000 is a placeholder.",               # passes Luhn, but no card is all zeros
    "123456789012 is twelve digits.",
])
def test_numbers_that_fail_luhn_or_have_the_wrong_length_are_not_cards(text):
    assert redact(text) == text


def _luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it Luhn-valid."""
    for check in "0123456789":
        digits = body + check
        total = sum(int(d) if k % 2 == 0 else (int(d) * 2 - 9 if int(d) > 4 else int(d) * 2)
                    for k, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from("3456"), st.text("0123456789", min_size=14, max_size=14), st.sampled_from(["", " ", "-"]))
def test_any_luhn_valid_sixteen_digit_number_read_out_is_a_card_and_a_typo_of_it_is_not(first, middle, sep):
    digits = _luhn_complete(first + middle)
    grouped = sep.join(digits[k:k + 4] for k in range(0, 16, 4))
    assert redact(f"my card is {grouped}, thanks") == "my card is [card], thanks"
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    if len(set(typo)) > 1:
        wrong = sep.join(typo[k:k + 4] for k in range(0, 16, 4))
        assert redact(f"my card is {wrong}, thanks") == f"my card is {wrong}, thanks"


# -- everything together, and what stays -------------------------------------------------------------------------

def test_a_turn_with_every_kind_of_contact_data_keeps_all_its_other_words():
    text = ("Sure, it's dana.ruiz@northwind.com or +44 7700 900123. For the 2026 renewal at $48,000 "
            "(up 3.5%), bill card 4111 1111 1111 1111 by 10:30 on 2026-03-04, PO 4417-2290-1183.")
    assert redact(text) == ("Sure, it's [email] or [phone]. For the 2026 renewal at $48,000 "
                            "(up 3.5%), bill card [card] by 10:30 on 2026-03-04, PO 4417-2290-1183.")


def test_text_without_personal_data_comes_back_identical_including_whitespace():
    text = "  Pricing was the\tproblem.\n\nWe had 3 vendors, 2 pilots and 1 budget (40k).  "
    assert redact(text) == text


_PIECES = st.sampled_from([
    "dana.ruiz@northwind.com", "+44 20 7946 0958", "415-555-0132", "4111 1111 1111 1111", "2026", "3.5%",
    "10:30", "$1,200", "order #4417-2290", "we", "pricing", ",", ".", " ", "\n", "Dana", "(", ")", "0", "7",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=20))
def test_redaction_is_stable_and_leaves_no_address_behind(pieces):
    text = " ".join(pieces)
    once = redact(text)
    assert redact(once) == once
    assert "dana.ruiz@northwind.com" not in once and "4111 1111 1111 1111" not in once


# -- names ----------------------------------------------------------------------------------------------------

def test_names_stay_unless_asked_for_and_then_spacy_is_not_even_loaded(monkeypatch):
    def no_model():
        raise AssertionError("names=False must not load a model")

    monkeypatch.setattr("insights.redact.load_ner", no_model)
    assert redact("Jonas Berg signed on Monday.") == "Jonas Berg signed on Monday."


def test_people_found_by_the_named_entity_recogniser_are_replaced():
    text = "We met in Paris with Acme Corp on Monday; Jonas Berg signed. Mr. Okafor called."
    assert redact(text, names=True) == "We met in Paris with Acme Corp on Monday; [name] signed. Mr. [name] called."


def test_a_speaker_label_is_replaced_but_the_words_after_its_colon_are_not():
    """The small model tags "Dana Ruiz: Thanks" as one PERSON; only the name is a name."""
    text = "Dana Ruiz: Thanks for joining, Sam.\nSam Ortiz: Happy to."
    assert redact(text, names=True) == "[name]: Thanks for joining, [name].\n[name]: Happy to."


def test_a_name_found_once_is_replaced_everywhere_it_recurs_alone():
    text = "Jonas Berg signed the order. Later Jonas asked about training."
    assert redact(text, names=True) == "[name] signed the order. Later [name] asked about training."


def test_names_inside_an_email_address_go_with_the_address():
    assert redact("Jonas Berg wrote from jonas.berg@acme.io today.", names=True) == \
        "[name] wrote from [email] today."


def test_companies_products_and_places_are_not_names():
    text = "Apple, Amazon and Google compete; Excel runs in London."
    assert redact(text, names=True) == text


def test_a_caller_may_pass_its_own_pipeline_with_an_ner_pipe():
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Zed"}])
    nlp.rename_pipe("entity_ruler", "ner")
    assert redact("Ask Zed about it.", names=True, nlp=nlp) == "Ask [name] about it."


def test_a_pipeline_without_an_ner_pipe_is_refused_with_a_setting_error():
    import spacy

    with pytest.raises(InsightsError) as caught:
        redact("Ask Zed.", names=True, nlp=spacy.blank("en"))
    assert caught.value.code == "E501" and "ner" in caught.value.message


def test_the_default_model_is_loaded_once_with_only_its_ner_pipe():
    assert load_ner() is load_ner()
    assert load_ner().pipe_names == ["ner"]


def test_a_long_text_is_read_in_pieces_and_every_name_is_found(monkeypatch):
    monkeypatch.setattr("insights.redact._CHUNK", 200)
    turn = "Jonas Berg said the rollout was late again. "
    text = turn * 30
    assert redact(text, names=True) == "[name] said the rollout was late again. " * 30
