#!/usr/bin/env python3
"""Side-by-side masking comparison: jitguard vs Presidio, scrubadub, DataFog, plain `re`, Hyperscan.

One run, one labelled corpus (tests/corpus/generate.py: model-response-like prose, tables, JSON,
logs and code with planted PII/secrets and hard negatives). For every tool: throughput (MB/s of
UTF-8 input, the corpus fed as ~4 KiB "responses"), its ratio to jitguard, and precision/recall per
entity on the labels (only the entities the tool claims to detect count towards its precision;
recall is also given over all 11 entities).

Then the same for the entities that are off by default (NATIONAL_ID, DATE_OF_BIRTH, CRYPTO_WALLET,
MAC_ADDRESS), on the corpus that plants them too (``generate(..., opt_in=True)``, all fifteen
entities labelled; Presidio has no date-of-birth recognizer, so DATE_OF_BIRTH is jitguard's alone):
jitguard with every entity on, Presidio with its recognizers of the same national-id schemes
(US_ITIN, ES_NIF, ES_NIE, IN_AADHAAR, UK_NHS, PL_PESEL, FI_PERSONAL_IDENTITY_CODE, SG_NRIC_FIN,
UK_NINO, IT_FISCAL_CODE, AU_ABN, AU_ACN, AU_TFN, AU_MEDICARE, IN_PAN, KR_RRN, US_PASSPORT), CRYPTO
(Bitcoin only) and MAC_ADDRESS, and DataFog (whose regex engine has none of the three), with recall per scheme.

How each tool runs (no model downloads are possible here, and none is needed):
  * jitguard: ``Masker().mask()`` (detect + replace) for speed, ``find()`` for accuracy.
  * Presidio: ``AnalyzerEngine`` with Presidio's own ``NoOpNlpEngine`` (the supported way to run
    without an NLP model: no tokens or lemmas, so context words from the text are not used) and a
    ``RecognizerRegistry`` holding only its predefined recognizers for our entities: Email, Phone
    (python-phonenumbers), UsSsn, CreditCard, Ip, Iban; for the opt-in entities also those above,
    each built with ``supported_language="en"`` (several default to "es", "pl", "fi", and most
    are ``enabled: false`` in Presidio's default registry). Every result counts, whatever its
    score (without an NLP engine no context word raises a score). Detection only (``analyze``).
  * scrubadub: ``Scrubber()`` with its default detectors, ``iter_filth`` (detection only).
  * DataFog: ``datafog.scan(text, engine="regex")`` (its regex engine, python backend).
  * re: a reasonable hand-written pattern set (below) with Luhn and mod-97 validators.
  * Hyperscan: the same pattern set compiled into one Hyperscan database (SOM leftmost), the
    matches resolved leftmost-longest and validated like the ``re`` set.

    python bench/compare/masking.py                      # prints the tables
    python bench/compare/masking.py --write-docs         # also updates docs/benchmarks.md + PNG
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import pathlib
import platform
import re
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from corpus import national_ids  # noqa: E402
from corpus.generate import (ALL_ENTITIES, ENTITIES, OPT_IN_ENTITIES, Corpus, generate, iban_valid,  # noqa: E402
                             luhn_valid, recall_by_scheme, score)

warnings.filterwarnings("ignore")
logging.getLogger("tldextract").setLevel(logging.CRITICAL)
logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

Span = Tuple[str, int, int]
Detector = Callable[[str], List[Span]]


# ------------------------------------------------------------------------------------------------
# A reasonable plain-regex pattern set, shared by `re` and Hyperscan (no look-arounds, so Hyperscan
# compiles it).

PATTERNS: List[Tuple[str, str]] = [
    ("PRIVATE_KEY", r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[A-Za-z0-9+/=\s:,-]+?-----END [A-Z ]{0,20}PRIVATE KEY-----"),
    ("JWT", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"),
    ("AWS_ACCESS_KEY", r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b"),
    ("API_KEY", r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}|glpat-[A-Za-z0-9_-]{20}"
                r"|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_live_[A-Za-z0-9]{24,}|sk-proj-[A-Za-z0-9_-]{40,}"
                r"|sk-ant-[A-Za-z0-9_-]{80,}|sk-[A-Za-z0-9]{48}|AIza[A-Za-z0-9_-]{35}|npm_[A-Za-z0-9]{36})"),
    ("EMAIL", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
    ("IBAN", r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
    ("IPV6", r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
             r"|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}"
             r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:"
             r"|::(?:ffff:)?(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
             r"|(?:[0-9A-Fa-f]{1,4}:){1,4}:(?:[0-9]{1,3}\.){3}[0-9]{1,3}"),
    ("IPV4", r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b"),
    ("US_SSN", r"\b[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}\b"),
    ("CREDIT_CARD", r"\b[0-9]{4}[ -]?[0-9]{4,6}[ -]?[0-9]{4,5}(?:[ -]?[0-9]{1,4})?\b"),
    ("PHONE", r"(?:\+1[ .-]?)?(?:\([2-9][0-9]{2}\)|\b[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}\b"
              r"|\+[1-9][0-9]{0,2}(?:[ .-]?[0-9]{1,5}){2,6}\b"),
]

_VALIDATORS: Dict[str, Callable[[str], bool]] = {
    "CREDIT_CARD": lambda s: 13 <= len(d := re.sub(r"\D", "", s)) <= 19 and luhn_valid(d),
    "IBAN": lambda s: iban_valid(s),
}


_PEM = 0  # index of PRIVATE_KEY in PATTERNS


def _resolve(cands: List[Tuple[int, int, int, str]]) -> List[Span]:
    """Leftmost, then longest, then earliest pattern; drops overlaps and failed validators."""
    cands.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2]))
    out: List[Span] = []
    last_end = -1
    for s, e, _, ent in cands:
        if s >= last_end:
            out.append((ent, s, e))
            last_end = e
    return out


def make_re() -> Detector:
    compiled = [(ent, re.compile(p)) for ent, p in PATTERNS]

    def detect(text: str) -> List[Span]:
        cands = []
        for i, (ent, rx) in enumerate(compiled):
            check = _VALIDATORS.get(ent)
            for m in rx.finditer(text):
                if check is None or check(m.group()):
                    cands.append((m.start(), m.end(), i, ent))
        return _resolve(cands)
    return detect


def make_hyperscan() -> Detector:
    import hyperscan

    db = hyperscan.Database()
    db.compile(expressions=[p.encode() for _, p in PATTERNS], ids=list(range(len(PATTERNS))),
               elements=len(PATTERNS), flags=[hyperscan.HS_FLAG_SOM_LEFTMOST] * len(PATTERNS))
    scratch = hyperscan.Scratch(db)

    def detect(text: str) -> List[Span]:
        data = text.encode()
        longest: Dict[Tuple[int, int], int] = {}

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            key = (pid, start)
            prev = longest.get(key)
            # Hyperscan reports every end; PEM blocks end at their first END line (lazy), the
            # other patterns are greedy.
            if prev is None or (end < prev if pid == _PEM else end > prev):
                longest[key] = end

        db.scan(data, match_event_handler=on_match, scratch=scratch)
        ascii_only = len(data) == len(text)
        cands = []
        for (pid, s), e in longest.items():
            ent = PATTERNS[pid][0]
            check = _VALIDATORS.get(ent)
            if check is not None and not check(data[s:e].decode("utf-8", "replace")):
                continue
            if not ascii_only:
                s, e = len(data[:s].decode("utf-8", "ignore")), len(data[:e].decode("utf-8", "ignore"))
            cands.append((s, e, pid, ent))
        return _resolve(cands)
    return detect


# Presidio's recognizer (class name) of each entity type it reports for a national-id scheme.
PRESIDIO_ID_RECOGNIZERS = {
    "US_ITIN": "UsItinRecognizer", "ES_NIF": "EsNifRecognizer", "ES_NIE": "EsNieRecognizer",
    "IN_AADHAAR": "InAadhaarRecognizer", "UK_NHS": "NhsRecognizer", "PL_PESEL": "PlPeselRecognizer",
    "FI_PERSONAL_IDENTITY_CODE": "FiPersonalIdentityCodeRecognizer", "SG_NRIC_FIN": "SgFinRecognizer",
    "UK_NINO": "UkNinoRecognizer", "IT_FISCAL_CODE": "ItFiscalCodeRecognizer", "AU_ABN": "AuAbnRecognizer",
    "AU_ACN": "AuAcnRecognizer", "AU_TFN": "AuTfnRecognizer", "AU_MEDICARE": "AuMedicareRecognizer",
    "IN_PAN": "InPanRecognizer", "KR_RRN": "KrRrnRecognizer", "US_PASSPORT": "UsPassportRecognizer",
}


def presidio_id_types() -> List[str]:
    """Presidio's entity types of the national-id schemes the corpus plants."""
    out = []
    for scheme in national_ids.active_schemes():
        out += [t for t in scheme.presidio if t not in out]
    return out


def make_presidio(opt_in: bool = False) -> Tuple[Detector, Sequence[str]]:
    import presidio_analyzer.predefined_recognizers as predefined
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer,
                                                          IbanRecognizer, IpRecognizer,
                                                          PhoneRecognizer, UsSsnRecognizer)
    registry = RecognizerRegistry(supported_languages=["en"])
    for rec in (EmailRecognizer, PhoneRecognizer, UsSsnRecognizer, CreditCardRecognizer, IpRecognizer,
                IbanRecognizer):
        registry.add_recognizer(rec())
    mapping = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "US_SSN": "US_SSN",
               "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN"}
    entities = ["EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IPV4", "IPV6", "IBAN"]
    if opt_in:
        for entity_type in presidio_id_types():
            registry.add_recognizer(getattr(predefined, PRESIDIO_ID_RECOGNIZERS[entity_type])(supported_language="en"))
            mapping[entity_type] = "NATIONAL_ID"
        registry.add_recognizer(predefined.CryptoRecognizer(supported_language="en"))
        registry.add_recognizer(predefined.MacAddressRecognizer(supported_language="en"))
        mapping.update({"CRYPTO": "CRYPTO_WALLET", "MAC_ADDRESS": "MAC_ADDRESS"})
        # Presidio has no date-of-birth recognizer (its DATE_TIME needs an NLP model and means any
        # date): DATE_OF_BIRTH is not compared.
        entities += [e for e in OPT_IN_ENTITIES if e != "DATE_OF_BIRTH"]
    engine = AnalyzerEngine(nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]),
                            registry=registry, supported_languages=["en"])

    def detect(text: str) -> List[Span]:
        out = []
        for r in engine.analyze(text=text, language="en"):
            ent = mapping.get(r.entity_type)
            if r.entity_type == "IP_ADDRESS":
                ent = "IPV6" if ":" in text[r.start:r.end] else "IPV4"
            if ent:
                out.append((ent, r.start, r.end))
        return out
    return detect, entities


def make_scrubadub() -> Tuple[Detector, Sequence[str]]:
    import scrubadub
    scrubber = scrubadub.Scrubber()
    mapping = {"email": "EMAIL", "phone": "PHONE", "social_security_number": "US_SSN",
               "credit_card": "CREDIT_CARD"}

    def detect(text: str) -> List[Span]:
        return [(mapping[f.type], f.beg, f.end) for f in scrubber.iter_filth(text) if f.type in mapping]
    return detect, ["EMAIL", "PHONE", "US_SSN", "CREDIT_CARD"]


def make_datafog() -> Tuple[Detector, Sequence[str]]:
    import datafog
    mapping = {"EMAIL": "EMAIL", "PHONE": "PHONE", "SSN": "US_SSN", "CREDIT_CARD": "CREDIT_CARD"}

    def detect(text: str) -> List[Span]:
        out = []
        for e in datafog.scan(text, engine="regex").entities:
            ent = mapping.get(e.type)
            if e.type == "IP_ADDRESS":
                ent = "IPV6" if ":" in text[e.start:e.end] else "IPV4"
            if ent:
                out.append((ent, e.start, e.end))
        return out
    return detect, ["EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IPV4", "IPV6"]


# ------------------------------------------------------------------------------------------------

def segments(corpus: Corpus, size: int) -> List[Tuple[int, str]]:
    """The corpus cut at document boundaries into pieces of about `size` characters."""
    out, start, pos = [], 0, 0
    for i, doc in enumerate(corpus.documents):
        pos += len(doc.text) + (len(corpus.separator) if i else 0)
        if pos - start >= size:
            out.append((start, corpus.text[start:pos]))
            start = pos
    if start < len(corpus.text):
        out.append((start, corpus.text[start:]))
    return out


def run_detector(detect: Callable[[str], object], segs: List[Tuple[int, str]], min_seconds: float, min_passes: int
                 ) -> Tuple[float, int, list]:
    """Seconds per pass over all segments (best of repeated passes for at least min_seconds), the
    number of passes, and the outputs of the last pass."""
    best, reps, total = float("inf"), 0, 0.0
    while True:
        gc.collect()
        t0 = time.perf_counter()
        outputs = [detect(text) for _, text in segs]
        dt = time.perf_counter() - t0
        best, reps, total = min(best, dt), reps + 1, total + dt
        if (total >= min_seconds and reps >= min_passes) or reps >= 50:
            return best, reps, outputs


def collect(detect: Detector, segs: List[Tuple[int, str]]) -> List[Span]:
    out = []
    for base, text in segs:
        out.extend((e, s + base, t + base) for e, s, t in detect(text))
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--segment", type=int, default=4096, help="characters per simulated response")
    ap.add_argument("--min-seconds", type=float, default=1.0, help="timing budget per tool")
    ap.add_argument("--min-passes", type=int, default=3, help="timed passes per tool at least (best counts)")
    ap.add_argument("--tools", default="jitguard,presidio,scrubadub,datafog,re,hyperscan")
    ap.add_argument("--opt-in-tools", default="jitguard,presidio,datafog",
                    help="tools compared on the corpus with the opt-in entities planted ('' = skip)")
    ap.add_argument("--python-overhead", action="store_true",
                    help="instead: time Python mask() on an 8 MB corpus against the C++ call")
    ap.add_argument("--cpp-bench", default="", help="with --python-overhead: path of "
                    "jitguard_mask_bench, whose BM_Mask figures are reported alongside")
    ap.add_argument("--write-docs", action="store_true",
                    help="write the result into docs/benchmarks.md and docs/img/masking_compare.png")
    args = ap.parse_args(argv)

    if args.python_overhead:
        return python_overhead(args)

    run_info = run_line()
    corpus = generate(args.seed, args.documents)
    segs = segments(corpus, args.segment)
    nbytes = len(corpus.text.encode())
    print(f"corpus: seed {args.seed}, {args.documents} documents, {nbytes / 1e6:.2f} MB, "
          f"{len(corpus.labels)} labels, {len(segs)} segments of ~{args.segment} chars", file=sys.stderr)

    tools, unavailable = make_tools(args.tools.split(","), opt_in=False)
    results = measure(tools, corpus, segs, nbytes, args)
    if not results:
        return 1
    lines = [run_info, ""] + table_lines(results, corpus, segs, nbytes, args, ENTITIES)
    lines += [""] + target_lines(results)
    for name, why in unavailable.items():
        lines.append("")
        lines.append(f"{name}: not measured ({why}).")
    table = "\n".join(lines)

    opt_table = ""
    if args.opt_in_tools:
        opt_corpus = generate(args.seed, args.documents, opt_in=True)
        opt_segs = segments(opt_corpus, args.segment)
        opt_bytes = len(opt_corpus.text.encode())
        print(f"opt-in corpus: {opt_bytes / 1e6:.2f} MB, {len(opt_corpus.labels)} labels", file=sys.stderr)
        opt_tools, opt_unavailable = make_tools(args.opt_in_tools.split(","), opt_in=True)
        opt_results = measure(opt_tools, opt_corpus, opt_segs, opt_bytes, args)
        opt_lines = table_lines(opt_results, opt_corpus, opt_segs, opt_bytes, args, ALL_ENTITIES,
                                rows=OPT_IN_ENTITIES)
        opt_lines += ["", "Recall per scheme (the rule jitguard reports; Presidio has one recognizer per "
                      "national-id scheme, and its CRYPTO recognizer covers Bitcoin only):", ""]
        opt_lines += scheme_lines(opt_results, opt_corpus)
        opt_lines += ["", "Where jitguard's recall of a scheme is short, docs/masking.md (\"Accuracy on the labelled "
                      "corpus\") says why; tests/python/test_mask_accuracy.py holds it as a known gap."]
        for name, why in opt_unavailable.items():
            opt_lines += ["", f"{name}: not measured ({why})."]
        opt_table = "\n".join(opt_lines)
    print(table)
    if opt_table:
        print("\n" + opt_table)

    if args.write_docs:
        png = ROOT / "docs" / "img" / "masking_compare.png"
        chart(results, png, len(corpus.labels))
        write_docs(table, args, opt_table=opt_table)
    return 0


def run_line() -> str:
    """When, at which commit and under which load the run was taken (the 2 cores are shared)."""
    import subprocess
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit, dirty = "unknown", ""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    versions = []
    for pkg in ("presidio-analyzer", "scrubadub", "datafog", "hyperscan"):
        try:
            from importlib.metadata import version
            versions.append(f"{pkg} {version(pkg)}")
        except Exception:
            pass
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (f"Run: {when}, commit `{commit}`{' (with uncommitted changes)' if dirty else ''}, load average "
            f"{load} (1/5/15 min) at its start; {', '.join(versions)}.")


def make_tools(wanted: Sequence[str], opt_in: bool):
    tools: List[Tuple[str, Detector, Sequence[str], Optional[Callable[[str], object]]]] = []
    unavailable: Dict[str, str] = {}
    for name in wanted:
        try:
            if name == "jitguard":
                import jitguard
                m = jitguard.Masker(entities=jitguard.ENTITIES) if opt_in else jitguard.Masker()
                tools.append(("jitguard (every entity on)" if opt_in else "jitguard",
                              lambda t, m=m: [(f.entity, f.start, f.end) for f in m.find(t)],
                              ALL_ENTITIES if opt_in else ENTITIES, m.mask))
            elif name == "presidio":
                d, ents = make_presidio(opt_in)
                tools.append(("Presidio (pattern recognizers)", d, ents, None))
            elif name == "scrubadub":
                d, ents = make_scrubadub()
                tools.append(("scrubadub", d, ents, None))
            elif name == "datafog":
                d, ents = make_datafog()
                tools.append(("DataFog (regex engine)", d, ents, None))
            elif name == "re":
                tools.append(("Python re (pattern set)", make_re(), ENTITIES, None))
            elif name == "hyperscan":
                tools.append(("Hyperscan (same pattern set)", make_hyperscan(), ENTITIES, None))
        except Exception as exc:  # a tool that does not install/import is reported, not fatal
            unavailable[name] = f"{type(exc).__name__}: {exc}"
            print(f"{name}: unavailable ({unavailable[name]})", file=sys.stderr)
    return tools, unavailable


def measure(tools, corpus: Corpus, segs, nbytes: int, args) -> list:
    """(name, MB/s, scores, entities, passes, findings) per tool."""
    results = []
    for name, detect, ents, speed_fn in tools:
        detect(segs[0][1])  # warm up (lazy loads, caches)
        fn = speed_fn or detect
        secs, reps, outputs = run_detector(fn, segs, args.min_seconds, args.min_passes)
        if speed_fn is None:
            found = [(e, s + base, t + base) for (base, _), out in zip(segs, outputs) for e, s, t in out]
        else:
            found = collect(detect, segs)
        scores, _ = score(corpus.labels, found, entities=ents)
        mbps = nbytes / secs / 1e6
        results.append((name, mbps, scores, ents, reps, found))
        print(f"{name:32} {mbps:10.2f} MB/s  ({reps} passes)", file=sys.stderr)
    return results


def table_lines(results, corpus: Corpus, segs, nbytes: int, args, entities: Sequence[str],
                rows: Optional[Sequence[str]] = None) -> List[str]:
    counts = corpus.counts()
    n = len(entities)
    jit = next((r for r in results if r[0].startswith("jitguard")), None)
    lines = []
    what = ("with the opt-in entities planted (`opt_in=True`)" if entities == ALL_ENTITIES else "")
    lines.append(f"Corpus: `tests/corpus/generate.py` seed {args.seed}, {args.documents} documents"
                 f"{' ' + what if what else ''}, {nbytes / 1e6:.2f} MB UTF-8, {len(corpus.labels)} labelled values, "
                 f"fed as {len(segs)} responses of ~{args.segment // 1024} KiB. Machine: {platform.machine()}, "
                 f"{os.cpu_count()} cores, Python {platform.python_version()}.")
    lines.append("")
    lines.append(f"| tool | MB/s | jitguard is × faster | entities covered | precision (its entities) | "
                 f"recall (its entities) | recall (all {n}) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, mbps, scores, ents, _, _ in results:
        tp = sum(s.true_pos for s in scores.values())
        pred = sum(s.predicted for s in scores.values())
        found = sum(s.found for s in scores.values())
        lab = sum(s.labels for s in scores.values())
        total = sum(counts.values())
        ratio = f"{jit[1] / mbps:,.0f}×" if jit and r_name(name) != "jitguard" else "1×"
        speed = f"{mbps:,.1f}" if mbps >= 10 else f"{mbps:.3f}"
        lines.append(f"| {name} | {speed} | {ratio} | {len(ents)}/{n} | {tp / pred if pred else 1:.1%} | "
                     f"{found / lab if lab else 0:.1%} | {found / total:.1%} |")
    lines.append("")
    lines.append("Per entity, precision / recall (— = the tool has no detector for it):")
    lines.append("")
    lines.append("| entity | labels | " + " | ".join(r[0] for r in results) + " |")
    lines.append("|---|---:|" + "---:|" * len(results))
    for ent in rows or entities:
        cells = []
        for _, _, scores, ents, _, _ in results:
            s = scores.get(ent)
            cells.append("—" if s is None or ent not in ents else f"{s.precision:.1%} / {s.recall:.1%}")
        lines.append(f"| {ent} | {counts[ent]} | " + " | ".join(cells) + " |")
    return lines


def scheme_lines(results, corpus: Corpus) -> List[str]:
    per_tool = [recall_by_scheme(corpus.labels, r[5]) if set(OPT_IN_ENTITIES) & set(r[3]) else None
                for r in results]
    keys = sorted({(l.entity, l.scheme) for l in corpus.labels if l.entity in OPT_IN_ENTITIES},
                  key=lambda k: (OPT_IN_ENTITIES.index(k[0]), k[1]))
    lines = ["| entity | scheme | labels | " + " | ".join(r[0] for r in results) + " |",
             "|---|---|---:|" + "---:|" * len(results)]
    for key in keys:
        cells = []
        labels = 0
        for r, schemes in zip(results, per_tool):
            if schemes is None or key[0] not in r[3]:
                cells.append("—")
                continue
            sc = schemes[key]
            labels = sc.labels
            cells.append(f"{sc.recall:.1%}")
        labels = labels or sum(1 for l in corpus.labels if (l.entity, l.scheme) == key)
        lines.append(f"| {key[0]} | `{key[1]}` | {labels} | " + " | ".join(cells) + " |")
    return lines


def r_name(name: str) -> str:
    return name.split(" (")[0]


def target_lines(results) -> List[str]:
    """The issue's targets, stated plainly: >= 1000x Presidio, >= 100x DataFog, at >= their recall."""
    by = {r[0].split(" (")[0]: r for r in results}
    jit = by.get("jitguard")
    out = []
    if jit is None:
        return out

    def recall(r):
        return sum(s.found for s in r[2].values()) / max(1, sum(s.labels for s in r[2].values()))

    for other, want in (("Presidio", 1000), ("DataFog", 100)):
        r = by.get(other)
        if r is None:
            continue
        ratio = jit[1] / r[1]
        ok_speed, ok_recall = ratio >= want, recall(jit) >= recall(r)
        out.append(f"\nTarget ≥ {want}× {other} at equal or better recall: "
                   f"{'met' if ok_speed and ok_recall else 'MISSED'} in this run ({ratio:,.0f}×; recall "
                   f"{recall(jit):.1%} vs {recall(r):.1%}).")
    return out


def python_overhead(args) -> int:
    """Python mask() on 8 MB (str and bytes) vs the C++ MaskAppend on the same bytes, timed inside
    the extension exactly as bench/mask_bench.cc's BM_Mask does (reused output buffer)."""
    import json as _json
    import subprocess
    import jitguard
    from corpus.generate import generate_bytes

    m = jitguard.Masker()
    dense, _ = generate_bytes(args.seed, 8 * 1024 * 1024)
    clean = m.mask(dense)  # same text with every labelled value replaced: hard negatives, no PII
    while len(clean.encode()) < 8 * 1024 * 1024:
        clean += "\n\n" + clean
    clean = clean.encode()[:8 * 1024 * 1024].decode("utf-8", "ignore")
    reps = 25

    def best_once(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    lines = [f"Inputs: 8 MiB of the labelled corpus (`generate_bytes(seed={args.seed}, 8 MiB)`: PII-dense, "
             f"with non-ASCII text) and the same corpus after masking (hard negatives, no PII); "
             f"best of {reps} interleaved runs. \"C++\" is `MaskAppend` into a reused buffer, timed inside the extension "
             f"on the same bytes (what `BM_Mask` does).", "",
             "| input | C++ MB/s | Python `mask(str)` MB/s | × C++ time | Python `mask(bytes)` MB/s | × C++ time |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, text in (("PII-dense corpus", dense), ("clean (masked corpus)", clean)):
        data = text.encode()
        m.mask(text)  # builds CPython's cached UTF-8 form of the str once, as any caller would
        # Interleaved, so that the three see the same machine load; best of `reps` each.
        cpp = py_str = py_bytes = float("inf")
        for _ in range(reps):
            cpp = min(cpp, m._m._bench_mask(data, 1))
            py_str = min(py_str, best_once(lambda: m.mask(text)))
            py_bytes = min(py_bytes, best_once(lambda: m.mask(data)))
        mb = len(data) / 1e6
        lines.append(f"| {name} | {mb / cpp:,.0f} | {mb / py_str:,.0f} | {py_str / cpp:.2f} | "
                     f"{mb / py_bytes:,.0f} | {py_bytes / cpp:.2f} |")
    lines += ["", "The ratio columns are the Python binding's cost (target: within 1.5× of C++). The labelled "
              "corpus packs a value or a hard negative (date, version, UUID, hash, bad card...) every few dozen "
              "bytes, far more candidates than `BM_Mask`'s corpora, hence its lower absolute MB/s."]
    if args.cpp_bench:
        proc = subprocess.run([args.cpp_bench, "--benchmark_filter=BM_Mask/", "--benchmark_format=json",
                               "--benchmark_min_time=0.3"], capture_output=True, text=True, check=False)
        try:
            rows = [f"{b.get('label', b['name'])} {b['bytes_per_second'] / 1e6:,.0f} MB/s"
                    for b in _json.loads(proc.stdout)["benchmarks"]]
            lines += ["", "Same run, `jitguard_mask_bench --benchmark_filter=BM_Mask/` (its own 8 MiB corpora): "
                      + ", ".join(rows) + "."]
        except Exception as exc:
            print(f"--cpp-bench: no usable output ({type(exc).__name__})", file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        cmd = "python bench/compare/masking.py --python-overhead --write-docs"
        if args.cpp_bench:
            cmd += " --cpp-bench build/<dir>/bench/jitguard_mask_bench"
        write_docs(table, args, begin="<!-- masking-python:begin -->", end="<!-- masking-python:end -->",
                   title="Python binding overhead", cmd=cmd)
    return 0


def chart(results, path: pathlib.Path, total_labels: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    names = [r[0].split(" (")[0] for r in results]
    mbps = [r[1] for r in results]
    def ratio(r, num, den):
        return 100 * sum(getattr(s, num) for s in r[2].values()) / max(1, sum(getattr(s, den) for s in r[2].values()))

    precision = [ratio(r, "true_pos", "predicted") for r in results]
    recall = [ratio(r, "found", "labels") for r in results]
    recall_all = [100 * sum(s.found for s in r[2].values()) / max(1, total_labels) for r in results]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    colors = ["#2a7ab9" if n == "jitguard" else "#9aa5b1" for n in names]
    ax1.barh(names, mbps, color=colors)
    ax1.set_xscale("log")
    ax1.set_xlabel("MB/s (log scale)")
    ax1.invert_yaxis()
    for i, v in enumerate(mbps):
        ax1.text(v, i, f" {v:.3g}", va="center", fontsize=8)
    ax1.set_title("Throughput, same corpus")
    ys = range(len(names))
    h = 0.27
    ax2.barh([y - h for y in ys], precision, height=h, color="#4c9f70", label="precision (its entities)")
    ax2.barh(list(ys), recall, height=h, color="#2a7ab9", label="recall (its entities)")
    ax2.barh([y + h for y in ys], recall_all, height=h, color="#e3a13b", label="recall (all 11 entities)")
    ax2.set_yticks(list(ys))
    ax2.set_yticklabels(names)
    ax2.set_xlim(0, 100)
    ax2.invert_yaxis()
    ax2.set_xlabel("%", labelpad=1)
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=7, frameon=False)
    ax2.set_title("Accuracy on the labelled corpus")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


_METHOD = """\
How each tool runs (no NLP model can be downloaded here, and none is needed for these entities):
jitguard is timed on `Masker().mask()` (detect *and* replace) and scored on `find()`; the others
are timed on detection only. Presidio runs as `AnalyzerEngine` with its own `NoOpNlpEngine` (the
supported way to run without a spaCy model; context words from the text are then not used) and a
`RecognizerRegistry` holding only its predefined Email, Phone, UsSsn, CreditCard, Ip and Iban
recognizers. scrubadub runs `Scrubber().iter_filth()` with its default detectors; DataFog runs
`datafog.scan(text, engine="regex")`. "Python re" is a reasonable hand-written pattern set with Luhn
and mod-97 validators (in the script); Hyperscan compiles the same set into one database. A tool's
precision counts only the entities it claims; "recall (all 11)" counts every labelled value. Each
tool is fed the corpus as ~4 KiB responses; its figure is the best of at least 3 timed passes.
The 2 cores are shared with other builds, so absolute MB/s move between runs (earlier runs under
heavy load gave DataFog ratios of 104-146x); the run states its date, commit and load average."""

_OPT_IN_METHOD = """\
The same, for the entities jitguard has off by default (`NATIONAL_ID`, `CRYPTO_WALLET`,
`MAC_ADDRESS`), on the corpus that plants them as well (`generate(..., opt_in=True)`: national ids of
eight schemes with their context words, Bitcoin Base58Check and bech32/bech32m and Ethereum EIP-55
addresses, MACs in three forms, and hard negatives of each: broken check digits, ids without the
context word their scheme needs, testnet addresses, transaction hashes, EUI-64s, key fingerprints).
jitguard runs with every entity on (`Masker(entities=jitguard.ENTITIES)`). Presidio adds its
recognizers of the same schemes (`UsItinRecognizer`, `EsNifRecognizer`, `EsNieRecognizer`,
`InAadhaarRecognizer`, `NhsRecognizer`, `PlPeselRecognizer`, `FiPersonalIdentityCodeRecognizer`,
`SgFinRecognizer`, all mapped to `NATIONAL_ID`), `CryptoRecognizer` (`CRYPTO`: Bitcoin only) and
`MacAddressRecognizer`, each built with `supported_language="en"`: most of them are
`enabled: false` in Presidio's default registry, and the Spanish, Polish and Finnish ones are
registered for "es", "pl" and "fi" only. Every result counts whatever its score (without an NLP
engine no context word raises one). DataFog's regex engine has none of the three (its extra
recognizers are German: tax id, social-security and passport numbers, `DE_IBAN`), so it is scored on
its own six entities only. Only the three opt-in entities' rows are shown; the eleven others are
scored in the totals."""

# The run before this one, kept with its date (the throughput figures move with the machine's load).
_PREVIOUS_RUN = (
    "The run before (2026-11-29, docs commit `4f7d6df`, on a quiet machine, on the corpus as the "
    "generator drew it then: 8334 labelled values; jitguard 100% precision and recall there too): "
    "jitguard 243.4 MB/s; Presidio 0.111 MB/s (2,185×), scrubadub 0.687 (354×), "
    "DataFog 3.625 (67×), Python re 3.059 (80×), Hyperscan 14.8 (16×); precision / recall on their "
    "entities: Presidio 75.5% / 94.1%, scrubadub 90.9% / 69.4%, DataFog 76.4% / 78.5%, Python re "
    "93.1% / 95.1%, Hyperscan 93.0% / 96.0%.")

_BEGIN = "<!-- masking-compare:begin -->"
_END = "<!-- masking-compare:end -->"


def write_docs(table: str, args, begin: str = _BEGIN, end: str = _END,
               title: str = "Side by side with other maskers", cmd: str = "", opt_table: str = "") -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    if not text.startswith("# Benchmarks"):
        raise SystemExit("docs/benchmarks.md looks truncated (someone writing it?); not touching it")
    if not cmd:
        cmd = "python bench/compare/masking.py --write-docs"
        if args.documents != 2000 or args.seed != 7:
            cmd += f" --documents {args.documents} --seed {args.seed}"
        intro = f"`{cmd}` (packages: `pip install '.[bench]'`):"
        table = _METHOD + "\n\n" + table + "\n\n![masking comparison](img/masking_compare.png)"
        if _PREVIOUS_RUN:
            table += "\n\n" + _PREVIOUS_RUN
        if opt_table:
            table += "\n\n#### The opt-in entities\n\n" + _OPT_IN_METHOD + "\n\n" + opt_table
    else:
        intro = f"`{cmd}`:"
    block = f"{begin}\n### {title}\n\n{intro}\n\n{table}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        # Goes at the end of the "## Masking" section, after the engine's own tables.
        i = text.find("## Masking")
        j = text.find("\n## ", i + 1) if i >= 0 else -1
        if j < 0:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        else:
            text = text[:j].rstrip("\n") + "\n\n" + block + "\n" + text[j:]
    tmp = doc.with_suffix(".md.tmp-masking")
    tmp.write_text(text)
    os.replace(tmp, doc)  # atomic: a concurrent reader never sees a half-written file


if __name__ == "__main__":
    sys.exit(main())
