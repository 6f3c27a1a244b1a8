"""One version from one source (python/jitguard/_version.py): the package, its metadata, the C++
library inside the extension (jitguard::Version()) and the CLI all say the same. The CMake package
and pkg-config are checked against the same file by the ctest package.consumer."""
import importlib.metadata
import pathlib
import re
import subprocess
import sys

import jitguard
from jitguard import _core

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_python_cpp_metadata_and_cli_agree():
    v = jitguard.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", v)
    assert _core.version() == v
    assert importlib.metadata.version("jitguard") == v
    r = subprocess.run([sys.executable, "-m", "jitguard.cli", "--version"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"jitguard {v}"


def test_the_source_of_truth_is_the_version_file():
    source = (ROOT / "python/jitguard/_version.py").read_text()
    assert f'__version__ = "{jitguard.__version__}"' in source
