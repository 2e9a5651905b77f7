"""Which lines of the cited notes support each sentence of an answer (rag/evidence.py)."""

from ingest.models import Chunk
from rag.evidence import block_lines, cited_numbers, evidence, supporting_lines
from rag.prompts import _lines, build_blocks
from rag.types import Block, Hit

CANARY = ("Canary deployment: a new model version gets a small share of real traffic first.\n"
          "- Route 5-10% of requests to the canary and watch latency and error rate.\n"
          "- Increase the share gradually while the metrics hold.\n"
          "- Roll back by sending all traffic to the old version.\n"
          "- Unlike blue-green, it never switches all traffic to the new version at once.")
BLUE_GREEN = ("Blue-green deployment keeps two identical environments.\n"
              "- Blue serves production while green gets the new version.\n"
              "- Run smoke tests against green before the switch.\n"
              "- The load balancer switches all traffic to green at once.\n"
              "- Rollback is instant: switch the load balancer back to blue.")
BLOCKS = [(1, CANARY), (2, BLUE_GREEN)]


def _block(n: int, text: str) -> Block:
    return Block(n, Hit(Chunk(f"c{n}", "notes.md", ("Deploy", f"Topic {n}"), text), 0.1, 0.5), text)


def test_a_sentence_copying_a_line_marks_that_line_of_the_cited_block_only():
    answer = "The load balancer switches all traffic to green at once [2]."
    assert evidence(answer, BLOCKS) == {2: [3]}  # not block 1's line 4, which holds "switches all traffic at once" too


def test_each_sentence_marks_the_lines_of_the_blocks_it_cites():
    answer = ("Canary routes 5-10% of requests to the new version and watches the error rate [1]. "
              "Blue-green runs smoke tests on green, then the load balancer switches all traffic [2].")
    assert evidence(answer, BLOCKS) == {1: [1], 2: [2, 3]}  # the second sentence joins two lines
    # a second line must add two of the sentence's words: "traffic" alone does not make line 3 support it
    assert evidence("Blue-green runs smoke tests on green, then switches all traffic at once [2].", BLOCKS) == {2: [2]}


def test_the_same_result_from_blocks_and_from_number_text_pairs():
    answer = "Rollback is instant: the load balancer switches back to blue [2]."
    assert evidence(answer, [_block(1, CANARY), _block(2, BLUE_GREEN)]) == evidence(answer, BLOCKS) == {2: [4]}


def test_too_little_overlap_marks_nothing():
    assert evidence("Kubernetes schedules GPU nodes by cost [1].", BLOCKS) == {}
    assert evidence("It watches traffic [1].", BLOCKS) == {}  # one shared word is not support
    assert supporting_lines("Yes [1].", block_lines(CANARY)) == []


def test_sentences_without_a_marker_and_markers_of_unknown_blocks_mark_nothing():
    answer = "The load balancer switches all traffic to green at once. Canary routes 5-10% of requests [7]."
    assert evidence(answer, BLOCKS) == {}
    assert evidence("", BLOCKS) == {} and evidence("Anything [1].", []) == {}


def test_grouped_markers_cite_each_block():
    assert cited_numbers("Both roll back [2, 1] fast [1].") == [2, 1]
    answer = "Both roll back: all traffic goes to the old version, or the load balancer switches back to blue [1, 2]."
    ev = evidence(answer, BLOCKS)
    assert 3 in ev[1] and 4 in ev[2]


def test_at_most_two_lines_per_sentence_and_block_and_the_more_specific_line_wins_a_tie():
    lines = ["alpha beta gamma", "alpha beta gamma delta epsilon zeta", "alpha beta", "gamma delta"]
    assert supporting_lines("Alpha beta gamma [1].", lines) == [0]  # line 1 holds them too, among more words
    assert len(supporting_lines("Alpha beta gamma delta epsilon zeta [1].", lines)) <= 2


def test_list_lines_are_sentences():
    answer = "- Canary routes 5-10% of requests to the canary [1]\n- Smoke tests run against green [2]"
    assert evidence(answer, BLOCKS) == {1: [1], 2: [2]}


def test_block_lines_are_the_lines_the_prompt_gave_the_model():
    raw = "**Canary** deployment:\n\n- Route *5-10%* of requests\n---\n> Watch the error rate"
    hit = Hit(Chunk("c", "notes.md", ("Deploy",), raw), 0.1, 0.5)
    (block,) = build_blocks([hit], "canary", 300)
    assert block_lines(block.text) == _lines(raw) == ["Canary deployment:", "- Route 5-10% of requests",
                                                      "Watch the error rate"]
