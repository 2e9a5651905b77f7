"""The markdown rules of ingest.markdown: fenced code lines and markdown reduced to plain text."""

import pytest

from ingest.chunk import split_text
from ingest.markdown import Fence, code_lines, fences, plain_lines, strip_inline
from ingest.parse import parse_units

# ---- fences


def test_backtick_fence_lines_include_both_fence_lines():
    text = "intro\n```python\n# comment\nx = 1\n```\nafter"
    assert code_lines(text) == {1, 2, 3, 4}
    assert fences(text) == [Fence(1, 5, "```", True, False)]


def test_tilde_fence_holds_backticks_and_backtick_fence_holds_tildes():
    assert code_lines("~~~\n```\n# x\n~~~\n# h") == {0, 1, 2, 3}
    assert code_lines("```\n~~~\n# x\n```\n# h") == {0, 1, 2, 3}


def test_closing_fence_must_be_at_least_as_long():
    assert code_lines("````\n```\n# still code\n`````\n# h") == {0, 1, 2, 3}
    assert fences("~~~~\na\n~~~\n~~~~\nb")[0] == Fence(0, 4, "~~~~", True, False)


def test_unclosed_fence_runs_to_the_end_of_the_text():
    assert code_lines("a\n```\ncode\n# h\n") == {1, 2, 3, 4}  # the empty line after the last "\n" too
    assert fences("```\ncode") == [Fence(0, 2, "```", False, False)]


def test_fence_inside_a_list_item():
    text = "- step\n    ```bash\n    # run it\n    ```\n- next\n# Heading"
    assert code_lines(text) == {1, 2, 3}


def test_unclosed_fence_in_a_list_item_ends_with_the_item():
    text = "- step\n  ```\n  code\n# Heading\nbody"
    assert code_lines(text) == {1, 2}


def test_closing_fence_written_less_indented_than_its_list_item_closes_it():
    # CommonMark would end the fence with the item and open a new one at the bare "```"
    text = "- step\n  ```bash\n  # run\n```\n# Heading\nbody"
    assert code_lines(text) == {1, 2, 3}
    assert fences(text) == [Fence(1, 4, "```", True, False)]


def test_fence_in_a_quote():
    text = "> Use:\n> ```\n> # c\n> ```\n# h"
    assert fences(text) == [Fence(1, 4, "```", True, True)]
    assert code_lines(text) == {1, 2, 3} and code_lines(text, quoted=False) == set()


def test_not_fences():
    assert code_lines("```inline``` text\n# h") == set()  # a code span
    assert code_lines("    ```\n    x\n    ```") == set()  # indented code, not a fence
    assert code_lines("no fences here") == set()


def test_line_numbers_are_those_of_split_on_newlines():
    text = "a\r\n```\r\nx\r\n```\r\n# h"
    assert code_lines(text) == {1, 2, 3}


def test_hash_comment_in_a_fence_is_not_a_heading():
    md = "## Ops\n\n### How do you deploy?\n\n- Build it:\n  ```bash\n  # build the image\n  docker build .\n  ```\n- Ship it.\n"
    (unit,) = parse_units("n.md", md)
    assert unit.headings == ("Ops", "How do you deploy?")
    assert "  # build the image" in unit.body


def test_oversized_fence_in_a_list_item_is_refenced_per_part():
    code = "\n".join(f"    echo {'w ' * 10}" for _ in range(20))
    text = f"- run:\n\n    ```bash\n{code}\n    ```\n"
    parts = split_text(text, 60)
    assert len(parts) >= 3
    for p in parts[1:]:
        assert p.startswith("    ```bash\n") and p.endswith("\n    ```")


# ---- inline stripping


@pytest.mark.parametrize(
    "raw, plain",
    [
        ("**bold** and __strong__", "bold and strong"),
        ("*italic* and _italic_", "italic and italic"),
        ("***both***", "both"),
        ("**Q:**What is it?", "Q:What is it?"),  # not emphasis in CommonMark: markers dropped anyway
        ("use `kubectl get *` now", "use kubectl get * now"),
        ("see [the docs](https://x.io) and ![a diagram](d.png)", "see the docs and a diagram"),
        ("2 * 3 and snake_case_name", "2 * 3 and snake_case_name"),
        ("escaped \\*stars\\* &amp; <b>html</b>", "escaped *stars* & <b>html</b>"),
        ("citations [1] stay", "citations [1] stay"),
        ("```python", "python"),
    ],
)
def test_strip_inline(raw, plain):
    assert strip_inline(raw) == plain


def test_strip_inline_keeps_lines_and_indentation():
    assert strip_inline("- **a**\n    - *b*") == "- a\n    - b"


def test_plain_lines():
    text = "## **Title**\n> - **Term:** text\n* *star* item\n1. one\n---\n```py\n# c **x**\n```"
    assert plain_lines(text) == ["Title", "Term: text", "star item", "one", "", "", "# c **x**", ""]
    assert plain_lines(text, bullet="\u2022 ", keep_numbers=True)[1:4] == ["\u2022 Term: text", "\u2022 star item", "1. one"]
    assert plain_lines("-5 degrees\n1.5 million") == ["-5 degrees", "1.5 million"]  # not list markers
