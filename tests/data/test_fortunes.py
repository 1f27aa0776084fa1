"""The fortunes 10-topic task and the user TSV path (zoo.data.fortunes)."""

from pathlib import Path

import pytest

from zoo.data import fortunes

HAVE_FORTUNES = Path(fortunes.DEFAULT_DIR, "computers").is_file()


def _write(directory, name, entries):
    (directory / name).write_text("\n%\n".join(entries) + "\n%\n")


@pytest.fixture
def fortune_dir(tmp_path):
    _write(tmp_path, "food", ["Eat  your\n\tgreens.", "Soup is good.", "Shared line"])
    _write(tmp_path, "law", ["A lawyer walks\ninto court.", "eat your greens.", "Shared line"])
    return tmp_path


def test_read_strfile_collapses_white_space(fortune_dir):
    assert fortunes.read_strfile(fortune_dir / "food") == [
        "Eat your greens.", "Soup is good.", "Shared line"]


def test_examples_dedupe_and_drop_texts_of_two_categories(fortune_dir):
    pairs = fortunes.examples(fortune_dir, categories=("food", "law"))
    # "eat your greens." and "Shared line" occur in both files: ambiguous, dropped
    assert pairs == [("Soup is good.", "food"), ("A lawyer walks into court.", "law")]


def test_missing_files_name_the_package_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install fortunes"):
        fortunes.examples(tmp_path)
    with pytest.raises(ValueError, match="split must be one of"):
        fortunes.load("dev", tmp_path)


@pytest.mark.skipif(not HAVE_FORTUNES, reason="Debian package fortunes not installed")
def test_real_task_has_ten_topics_and_disjoint_splits():
    loaded = {s: fortunes.load(s) for s in fortunes.SPLITS}
    assert set(loaded["train"][1]) == set(fortunes.CATEGORIES)
    keys = {s: {t.casefold() for t in texts} for s, (texts, _) in loaded.items()}
    assert not keys["train"] & keys["test"] and not keys["train"] & keys["validation"]
    total = sum(len(t) for t, _ in loaded.values())
    assert total == len(fortunes.examples()) and total > 3000


def test_tsv_reader_and_its_errors(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("I love this film\tpositive\n\nDull\tand\tslow\tnegative\n", encoding="utf-8")
    assert fortunes.load_tsv(path) == (["I love this film", "Dull and slow"],
                                       ["positive", "negative"])
    by_split = [fortunes.load_tsv(path, s)[0] for s in fortunes.SPLITS]
    assert sorted(sum(by_split, [])) == sorted(fortunes.load_tsv(path)[0])
    (tmp_path / "bad.tsv").write_text("no tab here\n")
    with pytest.raises(ValueError, match=r"bad.tsv:1: expected `text<TAB>label`"):
        fortunes.load_tsv(tmp_path / "bad.tsv")
    (tmp_path / "empty.tsv").write_text("\n\n")
    with pytest.raises(ValueError, match="holds no"):
        fortunes.load_tsv(tmp_path / "empty.tsv")
    (tmp_path / "latin1.tsv").write_bytes("caf\xe9\tx\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        fortunes.load_tsv(tmp_path / "latin1.tsv")
