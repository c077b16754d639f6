"""What the deployment tests (test_deploy_*.py) hold the deployment files against: the
names that the code itself defines. Plain Python, no Django settings needed."""

import ast
import re
import shutil
import sys
from functools import cache
from pathlib import Path

from shop_common.service_table import SERVICES, Service

REPO = Path(__file__).resolve().parent.parent
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]")
SHELL_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
# Where the shop's own code reads its environment: the shared package, each service, and
# the container scripts. Tests and migrations read nothing an operator sets.
CODE_DIRS = [REPO / "common" / "src", *(REPO / name for name in SERVICES), REPO / "docker"]
SKIPPED_PARTS = {"tests", "migrations", "conftest.py"}


def k8s_name(service: Service) -> str:
    """Compose and Kubernetes name services with hyphens: Django refuses `_` in hosts."""
    return service.name.replace("_", "-")


def venv_tool(name: str) -> str:
    """A command-line tool installed beside this Python (pinned in requirements/dev.txt)."""
    tool = Path(sys.executable).parent / name
    return str(tool) if tool.exists() else shutil.which(name) or name


def code_files() -> list[Path]:
    return [
        path
        for directory in CODE_DIRS
        for path in sorted(directory.rglob("*"))
        if path.suffix in {".py", ".sh"} and not SKIPPED_PARTS & set(path.parts)
    ]


@cache
def code_strings() -> frozenset[str]:
    """Every string constant of the Python code (names of variables, metrics, ...)."""
    strings = set()
    for path in code_files():
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(), filename=str(path))
            constants = (node.value for node in ast.walk(tree) if isinstance(node, ast.Constant))
            strings.update(value for value in constants if isinstance(value, str))
    return frozenset(strings)


@cache
def code_env_names() -> frozenset[str]:
    """Every environment variable the code can read.

    A name counts when the code spells it out (a string constant in Python, `$NAME` in a
    shell script), or when the service table derives it: `<NAME>_URL` and `<NAME>_PORT`
    for every service, `<NAME>_DATABASE_URL` for those with a database.
    """
    names = {string for string in code_strings() if ENV_NAME.fullmatch(string)}
    for path in code_files():
        if path.suffix == ".sh":
            names.update(SHELL_VARIABLE.findall(path.read_text()))
    for service in SERVICES.values():
        names.update({f"{service.env_prefix}_URL", f"{service.env_prefix}_PORT"})
        if service.has_database:
            names.add(f"{service.env_prefix}_DATABASE_URL")
    return frozenset(names)
