"""The one piece of build config pyproject.toml cannot say: the wheel's ``argil_nb/notebooks``
is the top-level ``notebooks/`` (kept there for users, nbval and scripts/refresh_notebooks.py),
next to every ``argil_nb`` package, found as they come."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["argil_nb", "argil_nb.*"]), "argil_nb.notebooks"],
    package_dir={"argil_nb.notebooks": "notebooks"},
)
