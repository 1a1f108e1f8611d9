"""Bad input is rejected before anything runs, with `file:line: JSON-path: problem` and exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qaeval.cli import main

MALFORMED = Path(__file__).parent / "data" / "malformed"

# file -> (line, JSON path, words the message must contain)
EXPECTED = {
    "dataset_missing_field.jsonl": (2, "$", "'facts' is a required property"),
    "dataset_bad_json.jsonl": (3, "$", "invalid JSON"),
    "dataset_unknown_source.jsonl": (1, "$.facts[0].source_id", "'s9' is not one of this item's sources"),
    "dataset_duplicate_id.jsonl": (2, "$.id", "duplicate item id 'x-001'"),
    "dataset_wrong_type.jsonl": (1, "$.facts[0].required", "is not of type 'boolean'"),
    "dataset_unknown_field.jsonl": (1, "$", "unknown field(s) ('colour' was unexpected)"),
    "dataset_no_required_fact.jsonl": (1, "$.facts", "no fact is marked required"),
    "answers_missing_item_id.jsonl": (2, "$", "'item_id' is a required property"),
    "answers_duplicate.jsonl": (2, "$.answer_id", "duplicate answer"),
    "answers_not_utf8.jsonl": (1, "$", "not UTF-8"),
    "rubric_bad_regex.yaml": (13, "$.harm.rules[0].patterns[0]", "invalid pattern"),
    "rubric_unknown_lexicon.yaml": (13, "$.harm.rules[0].patterns[0]", "unknown lexicon {no_such_lexicon}"),
    "rubric_bad_category.yaml": (9, "$.harm.rules[0].category", "'generally_bad' is not one of"),
    "rubric_bad_yaml.yaml": (4, "$", "invalid YAML"),
    "suite_literal_api_key.yaml": (7, "$.generators[0].api_key", "name an environment variable with api_key_env"),
    "suite_no_generators.yaml": (3, "$.generators", "should be non-empty"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_names_file_line_and_field(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    line, path, words = EXPECTED[name]
    code = main(["validate", str(MALFORMED / name)])
    err = capsys.readouterr().err
    assert code == 2, err
    expected_prefix = f"{MALFORMED / name}:{line}: {path}: "
    assert any(l.startswith(expected_prefix) and words in l for l in err.splitlines()), err


def test_corpus_is_fully_covered() -> None:
    # answers_unknown_item.jsonl is only wrong against a dataset: see the `score` test below.
    assert sorted(p.name for p in MALFORMED.iterdir()) == sorted([*EXPECTED, "answers_unknown_item.jsonl"])


def test_a_literal_key_is_never_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    main(["validate", str(MALFORMED / "suite_literal_api_key.yaml")])
    captured = capsys.readouterr()
    assert "sk-should-never-be-here" not in captured.err + captured.out


def test_answers_for_unknown_item_are_rejected_by_score(tmp_path: Path, capsys: pytest.CaptureFixture[str], root: Path) -> None:
    out = tmp_path / "out"
    code = main(["score", "--dataset", str(root / "datasets/oncology"), "--answers",
                 str(MALFORMED / "answers_unknown_item.jsonl"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{MALFORMED / 'answers_unknown_item.jsonl'}:2: $.item_id: 'nope-999' is not an item of the dataset" in err
    assert not out.exists(), "nothing may be written when input is bad"


def test_bad_rubric_stops_a_run_before_anything_is_written(tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        f"name: t\ndatasets: [{root / 'datasets/oncology'}]\nrubric: {MALFORMED / 'rubric_bad_regex.yaml'}\n"
        f"output_dir: {tmp_path / 'runs'}\ngenerators:\n  - id: reference\n    type: reference\n")
    code = main(["run", str(suite), "--quiet"])
    assert code == 2
    assert "rubric_bad_regex.yaml:13:" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "two.jsonl"
    bad.write_text('{"id": "a"}\n{"id": "b"}\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"two\.jsonl:1: \$: 'question' is a required property", err)
    assert re.search(r"two\.jsonl:2: \$: 'question' is a required property", err)


def test_repository_data_is_valid(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(root / "datasets"), str(root / "rubrics/default.yaml"), str(root / "evals/demo.yaml")])
    assert code == 0, capsys.readouterr().err
