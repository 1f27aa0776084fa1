"""benchmarks.translation_everyday: the everyday sentence set, its corpus check and tables."""

import pytest

from benchmarks import translation_everyday as bench


def test_the_set_loads_and_is_everyday_length():
    pairs = bench.load_pairs()
    assert len(pairs) == 62 and len({e for e, _ in pairs}) == 62
    words = [len(e.split()) for e, _ in pairs]
    assert min(words) >= 3 and max(words) <= 40  # all within the models' 40-word limit
    assert any("ß" in d for _, d in pairs) and any("ä" in d or "ö" in d for _, d in pairs)


def test_shipped_translator_refuses_none_of_the_set():
    """#21: no sentence a user types (≤ 40 words) is refused; the screening is the one
    `zoo.translate` runs before decoding."""
    from zoo.models.translation import translate

    sentences = [e for e, _ in bench.load_pairs()]
    for name in ("mt-en-de-bahdanau", "mt-en-de-seq2seq"):
        problems, parts = translate.refusals(name, sentences)
        assert problems == {} and len(parts) == len(sentences), (name, problems)


@pytest.mark.parametrize("line", ["only english", "a\tb\tc", "\tgerman"])
def test_malformed_line_is_named(tmp_path, line):
    path = tmp_path / "s.tsv"
    path.write_text(f"Good morning.\tGuten Morgen.\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"s\.tsv:2: expected 'english<TAB>german'"):
        bench.load_pairs(path)


def test_corpus_overlap_ignores_case_and_punctuation(tmp_path):
    pairs = [("Where is the station?", "Wo ist der Bahnhof?"), ("It rains.", "Es regnet.")]
    (tmp_path / "train.general.tsv").write_text(
        "where is the station\tWo bitte ist der Bahnhof?\tfreedict\n"
        "It is raining.\tes regnet\tding\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("It rains.\tEs regnet.\n", encoding="utf-8")
    assert bench.corpus_overlap(pairs, tmp_path) == [
        ("train.general.tsv", "en", "Where is the station?"),
        ("train.general.tsv", "de", "Es regnet.")]


def test_markdown_scores_and_twin_comparison():
    pairs = [("a b c", "x y z"), ("d e f", "u v w")]
    result = {
        "mt-en-de-bahdanau": {"model": "mt-en-de-bahdanau", "bleu": 50.0, "chrf": 60.0,
                              "sentence_chrf": [80.0, 40.0], "outputs": ["x y z", None],
                              "refused": ["d e f: too long"]},
        "mt-en-de-seq2seq (no attention)": {"model": "mt-en-de-seq2seq", "bleu": 10.0,
                                            "chrf": 20.0, "sentence_chrf": [30.0, 40.0],
                                            "outputs": ["x", "u"], "refused": []}}
    md = bench.markdown(pairs, result, overlap=[])
    assert "| mt-en-de-bahdanau | 50.0 | 60.0 | 60.0 | 1 |" in md
    assert "- mt-en-de-bahdanau: 1 / 1 / 0" in md
    assert "| d e f | u v w | (refused) (40) | u (40) |" in md
    assert "0 found" in md


def test_no_repeat_benchmark_counts_immediate_loops_and_tabulates(tmp_path):
    from benchmarks import translation_no_repeat as nr

    assert nr.loops([5, 6, 7, 5, 6, 7]) and nr.loops([1, 5, 6, 7, 5, 6, 7, 2])
    assert not nr.loops([5, 6, 7, 8, 5, 6, 7]) and not nr.loops([5, 5, 5, 5, 5])
    assert nr.loops([5] * 6)
    rows = [dict(domain="general", beam=4, no_repeat_ngram=3, n=2, bleu=8.1849, chrf=26.9,
                 loops=0), dict(domain="general", beam=1, no_repeat_ngram=0, n=2, bleu=7.9,
                                chrf=26.66, loops=9)]
    md = nr.markdown("mt-en-de-bahdanau", rows)
    assert "| general | beam 4 | 3 | 8.18 | 26.90 | 0 |" in md
    assert "| general | greedy | 0 | 7.90 | 26.66 | 9 |" in md
    with pytest.raises(SystemExit):
        nr.main(["--data-dir", str(tmp_path), "--out", str(tmp_path)])
