"""Accuracy of the masker on the labelled corpus (tests/corpus/generate.py), per entity, as issue 14
asks: recall >= 99.5% and precision >= 99%; and mask() leaves none of the labelled values in its
output. Two seeds of 2000 documents each.

Two groups:
  * the default profile (``jitguard.Masker()``) on the default corpus, which labels the eleven
    default entities (MAC addresses are hard negatives there);
  * every built-in entity on (``jitguard.Masker(entities=jitguard.ENTITIES)``) on the corpus with
    the opt-in entities planted too (``generate(..., opt_in=True)``: NATIONAL_ID per scheme,
    DATE_OF_BIRTH, CRYPTO_WALLET, MAC_ADDRESS, and their hard negatives), scored over all fifteen.

Every miss (entity, verdict, the example in context) is written to build/mask-accuracy.txt and
build/mask-accuracy-all.txt (with the recall of each opt-in scheme) for the engine's authors.
"""
import pathlib
import sys

import pytest

import jitguard

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from corpus.generate import (ALL_ENTITIES, ENTITIES, OPT_IN_ENTITIES, Corpus, format_scores,  # noqa: E402
                             generate, recall_by_scheme, score)

MIN_RECALL = 0.995
MIN_PRECISION = 0.99


SEEDS = (7, 2)  # two independent draws, so that no fix can be tuned to one corpus
DOCUMENTS = 2000


def _corpus(opt_in: bool) -> Corpus:
    docs = [d for seed in SEEDS for d in generate(seed=seed, documents=DOCUMENTS, opt_in=opt_in).documents]
    return Corpus(docs, entities=ALL_ENTITIES if opt_in else ENTITIES)


def _score(masker, corpus: Corpus, entities, report: str, title: str):
    findings = [(f.entity, f.start, f.end) for f in masker.find(corpus.text)]
    scores, misses = score(corpus.labels, findings, text=corpus.text, entities=entities)
    schemes = recall_by_scheme(corpus.labels, findings) if entities == ALL_ENTITIES else {}
    path = ROOT / "build" / report
    path.parent.mkdir(exist_ok=True)
    with path.open("w") as f:
        f.write(f"# jitguard mask accuracy, {title}, on tests/corpus/generate.py seeds={SEEDS} "
                f"documents={DOCUMENTS} each\n")
        f.write(format_scores(scores) + "\n\n")
        if schemes:
            f.write("# recall per scheme of the opt-in entities\n")
            for (entity, scheme), sc in schemes.items():
                f.write(f"{entity:14} {scheme:12} {sc.found:6d}/{sc.labels:<6d} {sc.recall:8.2%}\n")
            f.write("\n")
        f.write(f"# {len(misses)} misses: entity, verdict, example in context (⟦value⟧)\n")
        for miss in misses:
            f.write(f"{miss.entity}\t{miss.verdict}\t{miss.context}\n")
    return scores, misses, schemes


# --- the default profile ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus():
    return _corpus(opt_in=False)


@pytest.fixture(scope="module")
def result(corpus):
    return _score(jitguard.Masker(), corpus, ENTITIES, "mask-accuracy.txt", "default profile")


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


# --- every entity on ---------------------------------------------------------------------------------

# Known gaps of the engine, measured by this corpus: {(kind, entity): reason}, kind "recall",
# "precision" or "leak" (entity ""). Each is a strict expected failure (the test fails once the gap
# is closed, so that the mark goes too); see build/mask-accuracy-all.txt for every example. None
# at present: the last ones (fi_hetu's digit check character, an NHS number taken as PHONE) were
# closed on main.
KNOWN_GAPS: dict = {}


def _every(kind):
    return [pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(kind, e)]))
            if (kind, e) in KNOWN_GAPS else e for e in ALL_ENTITIES]


@pytest.fixture(scope="module")
def every_corpus():
    return _corpus(opt_in=True)


@pytest.fixture(scope="module")
def every_masker():
    m = jitguard.Masker(entities=jitguard.ENTITIES)
    assert set(OPT_IN_ENTITIES) <= set(m.entities)
    return m


@pytest.fixture(scope="module")
def every_result(every_corpus, every_masker):
    return _score(every_masker, every_corpus, ALL_ENTITIES, "mask-accuracy-all.txt", "every entity on")


def test_every_entity_corpus_has_enough_labels_per_entity_and_scheme(every_corpus, every_result):
    counts = every_corpus.counts()
    assert set(counts) == set(ALL_ENTITIES)
    assert all(n >= 150 for n in counts.values()), counts
    per_scheme = {k: sc.labels for k, sc in every_result[2].items()}
    assert all(n >= 150 for n in per_scheme.values()), per_scheme


@pytest.mark.parametrize("entity", _every("recall"))
def test_recall_every_entity(every_result, entity):
    sc = every_result[0][entity]
    assert sc.recall >= MIN_RECALL, (
        f"{entity}: recall {sc.recall:.2%} ({sc.found}/{sc.labels}); see build/mask-accuracy-all.txt")


@pytest.mark.parametrize("entity", _every("precision"))
def test_precision_every_entity(every_result, entity):
    sc = every_result[0][entity]
    assert sc.precision >= MIN_PRECISION, (
        f"{entity}: precision {sc.precision:.2%} ({sc.true_pos}/{sc.predicted}); "
        f"see build/mask-accuracy-all.txt")


@pytest.mark.xfail(("leak", "") in KNOWN_GAPS, strict=True, reason=KNOWN_GAPS.get(("leak", ""), ""))
def test_every_entity_masked_output_contains_no_labelled_value(every_corpus, every_masker):
    leaked = set()
    for doc in every_corpus.documents:
        masked = every_masker.mask(doc.text)
        leaked.update((l.entity, l.value[:12] + "…") for l in doc.labels if l.value in masked)
    assert not leaked, f"{len(leaked)} labelled values survive masking, e.g. {sorted(leaked)[:5]}"


# --- the corpus's model of the key-value rules ------------------------------------------------------

def test_keyvalue_model_agrees_with_the_engine():
    # tests/corpus/keyvalue.py draws the key-value secrets it labels (and the values it plants as
    # negatives) with a model of the documented rules; random values near the entropy floors, bare,
    # quoted, after '=' and ':', must get the engine's verdict.
    import random
    import string

    from corpus import keyvalue as kv
    m = jitguard.Masker()
    r = random.Random(5)
    alphabets = [string.ascii_lowercase, string.ascii_letters, string.digits, string.ascii_lowercase + string.digits,
                 string.ascii_letters + string.digits + "!#%^*+-_@~?", "abc123", "abcd", "0123456789abcdef", "aA1!"]
    contexts = [("password: ", "", True, False), ("password=", "", False, False), ('password="', '"', False, True),
                ('"token": "', '"', True, True), ("api_key: '", "'", True, True), ("X-Api-Key: ", "\n", True, False)]
    wrong = []
    for _ in range(10000):
        alphabet = r.choice(alphabets)
        value = r.choice(string.ascii_letters + string.digits) + "".join(
            r.choice(alphabet) for _ in range(r.randint(5, 23)))
        before, after, colon, quoted = r.choice(contexts)
        text = "x " + before + value + after + " y"
        found = ("API_KEY", "secret_assignment", value) in [
            (f.entity, f.rule, text[f.start:f.end]) for f in m.find(text)]
        if found != kv.generic_secret(value, colon, quoted):
            wrong.append((before, value, found))
    for _ in range(1000):
        value = "".join(r.choice(string.ascii_letters + string.digits + "+/") for _ in range(r.choice([39, 40, 41])))
        if r.random() < 0.2:
            value = "".join(r.choice("abAB12") for _ in range(40))
        for before, colon in (("aws_secret_access_key: ", True), ("AWS_SECRET_ACCESS_KEY=", False)):
            text = before + value
            found = ("AWS_ACCESS_KEY", value) in [(f.entity, text[f.start:f.end]) for f in m.find(text)]
            if found != kv.aws_secret(value, colon):
                wrong.append((before, value, found))
    assert not wrong, wrong[:5]
