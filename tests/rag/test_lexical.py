from rag.lexical import stem, tokenize


def test_tokenize_drops_stopwords_and_stems():
    assert tokenize("How do you monitor deployed models?") == ["monitor", "deploy", "model"]


def test_hyphenated_terms_keep_whole_and_parts():
    toks = tokenize("blue-green deployments")
    assert {"blue-green", "blue", "green", "deployment"} <= set(toks)


def test_stem_is_light():
    assert stem("class") == "class"
    assert stem("policies") == "policy"
    assert stem("ml") == "ml"
