"""A labelled, synthetic PII/secret corpus for the masking engine's accuracy tests and benchmarks.

With ``tests/`` on ``sys.path``: ``from corpus.generate import generate, score``; or run
``python tests/corpus/generate.py --out DIR`` to write corpus files for the C++ benchmarks.
"""
