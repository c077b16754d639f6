"""README.md and docs/ keep up with the code: the configuration table names every
environment variable the code reads and none it doesn't, every command they show exists,
the README stays a front door, and every relative link leads somewhere."""

import re
from pathlib import Path

from deploy_support import REPO, SERVICES, code_files

README = REPO / "README.md"
DOCS = REPO / "docs"
CONFIGURATION = DOCS / "configuration.md"
README_MAX_LINES = 250

# How the code reads a variable: env.str("X", ...), os.environ.get("X"), os.environ["X"],
# os.environ.setdefault("X", ...), a constant `*_ENV = "X"` passed to a reader, or
# local_secret(env_name="X"); in either kind of quotes.
READS = re.compile(
    r"""env\.\w+\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ(?:\.get\(|\.setdefault\(|\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|_ENV = ["']([A-Z][A-Z0-9_]*)["']"""
    r"""|env_name=["']([A-Z][A-Z0-9_]*)["']"""
)
SHELL_READS = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
CODE_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
# `<SERVICE>_PORT` stands for every service's port variable, as the service table derives them.
PORT_PATTERN = "`<SERVICE>_PORT`"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCED_BLOCK = re.compile(r"^```.*?^```", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def doc_pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def variables_the_code_reads() -> set[str]:
    names = set()
    for path in [*code_files(), REPO / "manage_all.py"]:
        pattern = SHELL_READS if path.suffix == ".sh" else READS
        for match in pattern.finditer(path.read_text()):
            names.update(name for name in match.groups() if name)
    for service in SERVICES.values():
        names.update({f"{service.env_prefix}_URL", f"{service.env_prefix}_PORT"})
        if service.has_database:
            names.add(f"{service.env_prefix}_DATABASE_URL")
    return names


def variable_table() -> str:
    """The rows of the "Every variable" table of docs/configuration.md."""
    page = CONFIGURATION.read_text()
    section = page[page.index("## Every variable") :]
    section = section[: section.index("\n## ")]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def first_cells(table: str) -> str:
    return "\n".join(row.split(" | ")[0] for row in table.splitlines())


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text, lower-cased, without punctuation."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    if page.suffix != ".md":
        return found
    for heading in re.findall(r"^#+ (.+)$", FENCED_BLOCK.sub("", page.read_text()), re.M):
        anchor = base = github_anchor(heading)
        count = 0
        while anchor in found:
            count += 1
            anchor = f"{base}-{count}"
        found.add(anchor)
    return found


def broken_links(page: Path) -> list[str]:
    """Relative links of a page whose file or heading does not exist."""
    text = INLINE_CODE.sub("", FENCED_BLOCK.sub("", page.read_text()))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto:: not ours to check offline
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and anchor not in anchors(linked)):
            broken.append(target)
    return broken


def test_the_reader_finds_the_variables_it_should() -> None:
    assert {
        "DEBUG",
        "SECRET_KEY",
        "JWT_PRIVATE_KEY",
        "WEB_CONCURRENCY",
        "MIGRATE",
        "BIND_HOST",
        "DJANGO_SETTINGS_MODULE",
    } <= variables_the_code_reads()


def test_every_variable_the_code_reads_is_in_the_configuration_table() -> None:
    table = first_cells(variable_table())
    assert PORT_PATTERN in table
    missing = {
        name
        for name in variables_the_code_reads()
        if f"`{name}`" not in table and not name.endswith("_SVC_PORT")
    }
    assert missing == set()


def test_the_configuration_table_names_no_variable_the_code_does_not_read() -> None:
    named = set(CODE_NAME.findall(first_cells(variable_table())))
    assert named - variables_the_code_reads() == set()


def test_every_variable_compose_reads_is_on_the_configuration_page() -> None:
    page = CONFIGURATION.read_text()
    per_service = re.compile(r"[A-Z]+_SVC_(SECRET_KEY|DB_PASSWORD)")
    compose_reads = set(SHELL_READS.findall((REPO / "compose.yaml").read_text()))
    missing = {
        name
        for name in compose_reads
        if f"`{name}`" not in page
        and not (per_service.fullmatch(name) and f"`<SERVICE>_{name.split('_SVC_')[1]}`" in page)
    }
    assert missing == set()


def test_the_management_commands_they_show_exist() -> None:
    shown = {
        command
        for page in doc_pages()
        for command in re.findall(
            r"manage(?:\.py|_all\.py(?: --service \w+)?) (\w+)", page.read_text()
        )
    }
    # Django's own and drf-spectacular's; `run` is manage_all.py's; the rest the services'
    # own and common/'s apps'.
    from_packages = {
        "migrate",
        "createsuperuser",
        "collectstatic",
        "check",
        "spectacular",
        "shell",
        "runserver",
        "flushexpiredtokens",
        "run",
    }
    own = {
        path.stem
        for folder in ("*_svc/*", "common/src/shop_common/*")
        for path in REPO.glob(f"{folder}/management/commands/*.py")
    }
    assert shown - from_packages - own == set()


def test_every_pinned_library_is_in_the_dependency_list() -> None:
    rows = (DOCS / "dependencies.md").read_text().splitlines()
    listed = first_cells("\n".join(row for row in rows if row.startswith("| "))).lower()
    pinned = {
        re.split(r"[\[=]", line)[0].lower()
        for path in (REPO / "requirements").glob("*.txt")
        for line in path.read_text().splitlines()
        if line and not line.startswith(("#", "-"))
    }
    assert {name for name in pinned if name not in listed} == set()


def test_the_readme_is_a_front_door() -> None:
    assert len(README.read_text().splitlines()) <= README_MAX_LINES


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    assert {str(page.relative_to(REPO)): broken_links(page) for page in doc_pages()} == {
        str(page.relative_to(REPO)): [] for page in doc_pages()
    }


def test_the_link_check_refuses_a_missing_file_or_heading(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other page\n\n## The `right` one\n")
    page.write_text(
        "# Here\n\n[fine](other.md#the-right-one) [self](#here) [web](https://example.com)\n"
        "[no file](missing.md) [no heading](other.md#wrong) [gone](gone.md#x)\n"
        "`[code](missing.md)`\n"
    )
    assert broken_links(page) == ["missing.md", "other.md#wrong", "gone.md#x"]
