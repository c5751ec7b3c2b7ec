from archive.search.analysis import document_terms, fold, query_word_terms, stem


def test_fold_strips_accents_but_keeps_cyrillic_letters():
    assert fold("Política ÉCOLE") == "politica ecole"
    assert fold("Йосип їжак Ёлка") == "йосип їжак елка"


def test_each_language_stems_its_own_words():
    assert stem("running", "en") == stem("runs", "en") == "run"
    assert stem("políticas", "es") == stem("política", "es")
    assert stem("войны", "ru") == stem("война", "ru")
    assert stem("війни", "uk") == stem("війна", "uk")
    assert stem("Kriege".lower(), "de") == stem("krieg", "de")
    assert stem("guerres", "fr") == stem("guerre", "fr")


def test_document_terms_carry_language_and_offsets():
    text = "The wars of Bakhmut"
    terms = list(document_terms(text, "en"))
    assert [t for _, _, t in terms] == ["en:war", "en:bakhmut"]  # "the", "of": stop words
    assert [text[a:b] for a, b, _ in terms] == ["wars", "Bakhmut"]


def test_unknown_languages_are_not_stemmed():
    assert [t for _, _, t in document_terms("Running", "zz")] == ["xx:running"]


def test_a_stop_word_is_dropped_only_where_it_is_one():
    terms = query_word_terms("war")
    assert terms["en"] == "en:war"
    assert terms["de"] is None  # "war" is German for "was"
