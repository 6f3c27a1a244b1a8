"""Accuracy of the default masker on the labelled corpus (tests/corpus/generate.py).

Per entity (two seeds of 2000 documents each): recall >= 99% and precision >= 98%; and mask() leaves none of the labelled values in
its output. Every miss (entity, verdict, the example in context) is written to
build/mask-accuracy.txt for the engine's authors.
"""
import pathlib
import sys

import pytest

import jitguard

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from corpus.generate import ENTITIES, Corpus, format_scores, generate, score  # noqa: E402

MIN_RECALL = 0.99
MIN_PRECISION = 0.98


SEEDS = (7, 2)  # two independent draws, so that no fix can be tuned to one corpus


@pytest.fixture(scope="module")
def corpus():
    return Corpus([d for seed in SEEDS for d in generate(seed=seed, documents=2000).documents])


@pytest.fixture(scope="module")
def result(corpus):
    m = jitguard.Masker()
    findings = [(f.entity, f.start, f.end) for f in m.find(corpus.text)]
    scores, misses = score(corpus.labels, findings, text=corpus.text)
    report = ROOT / "build" / "mask-accuracy.txt"
    report.parent.mkdir(exist_ok=True)
    with report.open("w") as f:
        f.write(f"# jitguard mask accuracy on tests/corpus/generate.py seeds={SEEDS} documents=2000 each\n")
        f.write(format_scores(scores) + "\n\n")
        f.write(f"# {len(misses)} misses: entity, verdict, example in context (⟦value⟧)\n")
        for miss in misses:
            f.write(f"{miss.entity}\t{miss.verdict}\t{miss.context}\n")
    return scores, misses


def test_corpus_has_enough_labels_per_entity(corpus):
    counts = corpus.counts()
    assert set(counts) == set(ENTITIES)
    assert all(n >= 150 for n in counts.values()), counts


@pytest.mark.parametrize("entity", ENTITIES)
def test_recall(result, entity):
    sc = result[0][entity]
    assert sc.recall >= MIN_RECALL, (
        f"{entity}: recall {sc.recall:.2%} ({sc.found}/{sc.labels}); see build/mask-accuracy.txt")


@pytest.mark.parametrize("entity", ENTITIES)
def test_precision(result, entity):
    sc = result[0][entity]
    assert sc.precision >= MIN_PRECISION, (
        f"{entity}: precision {sc.precision:.2%} ({sc.true_pos}/{sc.predicted}); "
        f"see build/mask-accuracy.txt")


def test_masked_output_contains_no_labelled_value(corpus):
    # Each document is one model response; a value could only survive inside its own response.
    m = jitguard.Masker()
    leaked = set()
    for doc in corpus.documents:
        masked = m.mask(doc.text)
        leaked.update((l.entity, l.value[:12] + "…") for l in doc.labels if l.value in masked)
    assert not leaked, f"{len(leaked)} labelled values survive masking, e.g. {sorted(leaked)[:5]}"


def test_bytes_input_finds_the_same_values(corpus):
    m = jitguard.Masker()
    data = corpus.text.encode()
    by_str = [(f.entity, corpus.text[f.start:f.end]) for f in m.find(corpus.text)]
    by_bytes = [(f.entity, data[f.start:f.end].decode()) for f in m.find(data)]
    assert by_str == by_bytes
