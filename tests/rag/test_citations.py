from rag.citations import CitationStream, attribute, check_citations

BLOCKS = ["Canary deployment routes 5-10% of traffic to the new model first and increases it gradually.",
          "Blue-green deployment keeps two identical environments and switches all traffic at once."]


def _stream(text, blocks=BLOCKS, size=3, **kw):
    s = CitationStream(blocks, **kw)
    out = "".join(s.feed(text[i:i + size]) for i in range(0, len(text), size)) + s.flush()
    return out, s


def test_valid_markers_kept_dangling_dropped():
    text, cited = check_citations("Canary is gradual [1]. Blue-green swaps [2][7]. Both roll back [9].", 3)
    assert text == "Canary is gradual [1]. Blue-green swaps [2]. Both roll back."
    assert cited == [1, 2]


def test_grouped_markers_split_and_filtered():
    assert check_citations("Claim [3, 1, 5].", 3) == ("Claim [3][1].", [3, 1])


def test_brackets_that_are_not_citations_untouched():
    text, cited = check_citations("Use arr[i] and [see docs] and [0].", 2)
    assert "arr[i]" in text and "[see docs]" in text and "[0]" not in text and cited == []


def test_attribute_picks_the_block_with_the_sentence_words():
    assert attribute("It sends 5-10% of traffic to the new model first.", BLOCKS) == 1
    assert attribute("Two identical environments; all traffic switches at once.", BLOCKS) == 2
    assert attribute("Kubernetes schedules GPU nodes by cost.", BLOCKS) is None
    assert attribute("Yes.", BLOCKS) is None


def test_stream_checks_markers_and_attributes_missing_ones_on_any_split():
    raw = ("Canary sends 5-10% of traffic to the new model first [1]. Blue-green keeps two identical "
           "environments and switches traffic at once. Rollback differs [7]. Version 2.5 e.g. works.")
    for size in (1, 2, 5, 50):
        out, s = _stream(raw, size=size)
        assert out == ("Canary sends 5-10% of traffic to the new model first [1]. Blue-green keeps two identical "
                       "environments and switches traffic at once [2]. Rollback differs. Version 2.5 e.g. works.")
        assert s.cited == [1, 2] and s.attributed == 1


def test_bullets_without_periods_get_attributed():
    out, _ = _stream("- routes 5-10% of traffic to the new model\n- two identical environments switch at once")
    assert out == "- routes 5-10% of traffic to the new model [1]\n- two identical environments switch at once [2]"


def test_attribution_can_be_switched_off():
    out, s = _stream("Blue-green keeps two identical environments.", attribute_missing=False)
    assert out == "Blue-green keeps two identical environments." and s.cited == []


def test_unclosed_bracket_is_flushed():
    out, _ = _stream("end [1", attribute_missing=False)
    assert out == "end [1"
