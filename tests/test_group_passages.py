"""Passages: sentences with offsets into the text; lines are hard boundaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.group.passages import is_heading, split_passages


def parts(text: str) -> list[str]:
    return [text[s:e] for s, e in split_passages(text)]


def test_sentences_abbreviations_initials_decimals_and_quotes() -> None:
    text = (
        'Mr. Smith met U.S. officials at 5 p.m. on Monday. He said "Yes." Then he left!\n'
        "J. K. Rowling wrote it. The multiplier is 1.2. Other factors matter? Maybe."
    )
    assert parts(text) == [
        "Mr. Smith met U.S. officials at 5 p.m. on Monday.",
        'He said "Yes."',
        "Then he left!",
        "J. K. Rowling wrote it.",
        "The multiplier is 1.2.",
        "Other factors matter?",
        "Maybe.",
    ]


def test_lines_are_boundaries_and_blank_lines_vanish() -> None:
    text = "  Heading without a stop  \n\n- a list item\n- another one\nA sentence. Another"
    assert parts(text) == [
        "Heading without a stop",
        "- a list item",
        "- another one",
        "A sentence.",
        "Another",
    ]


def test_a_lower_case_continuation_is_not_a_new_sentence() -> None:
    assert parts("It was 3 a.m. when they left. it was dark.") == [
        "It was 3 a.m. when they left. it was dark."
    ]


@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\"'A1")), max_size=120))
def test_spans_are_ordered_stripped_and_cover_every_non_space_character(text: str) -> None:
    spans = split_passages(text)
    covered = [False] * len(text)
    last = 0
    for start, end in spans:
        assert last <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and "\n" not in piece
        for i in range(start, end):
            covered[i] = True
        last = end
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))


def test_headings_are_whole_lines_without_a_full_stop() -> None:
    text = "Key facts\nWhat happens next?\nThe port closed. Talks failed\n- 5 ships: waiting\nDone."
    flags = {text[s:e]: is_heading(text, s, e) for s, e in split_passages(text)}
    assert flags == {
        "Key facts": True,
        "What happens next?": True,
        "The port closed.": False,
        "Talks failed": False,  # the end of a line, but not a line of its own
        "- 5 ships: waiting": True,
        "Done.": False,
    }


def test_sentences_in_other_scripts_and_with_other_openers() -> None:
    """A sentence may start with a capital of any script, a letter of a script without case,
    or an opening ¿ ¡ „ «; Chinese and Japanese full stops need no space after them."""
    assert parts("Правительство приняло решение. Об этом сообщил министр.") == [
        "Правительство приняло решение.",
        "Об этом сообщил министр.",
    ]
    assert parts("قال الوزير إن الحكومة وافقت. وأضاف أن القرار نهائي؟ ثم غادر.") == [
        "قال الوزير إن الحكومة وافقت.",
        "وأضاف أن القرار نهائي؟",
        "ثم غادر.",
    ]
    assert parts("政府は決定した。大臣が「実施する」と発表した。 本当か？はい！") == [
        "政府は決定した。",
        "大臣が「実施する」と発表した。",
        "本当か？",
        "はい！",
    ]
    assert parts("Er sagte das. Überall war Wasser. „Wir helfen“, sagte sie.") == [
        "Er sagte das.",
        "Überall war Wasser.",
        "„Wir helfen“, sagte sie.",
    ]
    assert parts("Dijo que sí. ¿Qué pasará ahora? «Nada», respondió.") == [
        "Dijo que sí.",
        "¿Qué pasará ahora?",
        "«Nada», respondió.",
    ]
    # lower case goes on, in any script; "_" starts nothing
    assert len(parts("Он сказал это. и ушёл, потом 3. _x")) == 1
