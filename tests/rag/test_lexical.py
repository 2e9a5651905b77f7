from rag.lexical import content_words, ends_with_abbreviation, split_sentences, stem, tokenize


def test_tokenize_drops_stopwords_and_stems():
    assert tokenize("How do you monitor deployed models?") == ["monitor", "deploy", "model"]


def test_query_words_are_not_topic_words():
    assert tokenize("explain the difference between canary vs blue-green") == ["canary", "blue-green", "blue", "green"]


def test_hyphenated_terms_keep_whole_and_parts():
    assert {"blue-green", "green", "deploy"} <= set(tokenize("blue-green deployments"))


def test_stem_matches_word_families():
    assert stem("deploying") == stem("deployed") == stem("deploys") == "deploy"
    assert stem("class") == "class" and stem("ml") == "ml"


def test_content_words_and_sentences():
    assert content_words("It is really the data, um, that drifts") == ["data", "drift"]
    assert split_sentences("Use A vs. B for e.g. canaries. Then watch it! Done") == [
        "Use A vs. B for e.g. canaries.", "Then watch it!", "Done"]


def test_ends_with_abbreviation_matches_whole_words_only():
    assert ends_with_abbreviation("canary vs") and ends_with_abbreviation("tools, e.g")
    assert not ends_with_abbreviation("we hired more devs") and not ends_with_abbreviation("the end")
