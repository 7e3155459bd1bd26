"""Every package folder is listed in pyproject.toml (importers/ and datasets/ install under mstsim)."""
import pathlib
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # requires-python is 3.10: tomli is the same parser, in the test extra there
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_package_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    dirs = {"mstsim": "mstsim", "importers": "mstsim.importers", "datasets": "mstsim.datasets"}
    found = set()
    for top, package in dirs.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((package,) + rel))
    assert found <= listed, f"add to pyproject.toml packages: {sorted(found - listed)}"


def test_every_bundled_data_file_is_package_data():
    """A wheel (non-editable install) must carry the bundled datasets and their licence texts."""
    import fnmatch
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    data = [p.relative_to(ROOT / "datasets").as_posix() for p in (ROOT / "datasets" / "data").iterdir()]
    missing = [f for f in data if not any(fnmatch.fnmatch(f, pat) for pat in patterns["mstsim.datasets"])]
    assert data and not missing, f"add to pyproject.toml package-data: {missing}"
