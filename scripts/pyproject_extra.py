"""Prints the requirements of one optional-dependency group of pyproject.toml, one per line."""
import pathlib
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

root = pathlib.Path(__file__).resolve().parent.parent
project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
for requirement in project["optional-dependencies"][sys.argv[1]]:
    print(requirement)
