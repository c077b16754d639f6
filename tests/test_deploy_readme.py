"""The README's "Deploying" section keeps up with the code: it names every environment
variable the code reads, and every command it shows exists."""

import re

from deploy_support import REPO, SERVICES, code_files

# How the code reads a variable: env.str("X", ...), os.environ.get("X"), os.environ["X"],
# a constant `*_ENV = "X"` passed to a reader, or local_secret(env_name="X").
READS = re.compile(
    r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"'
    r'|os\.environ(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]*)"'
    r'|_ENV = "([A-Z][A-Z0-9_]*)"'
    r'|env_name="([A-Z][A-Z0-9_]*)"'
)
SHELL_READS = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def deploying_section() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- section: deploying -->")
    end = readme.index("<!-- section:", start + 1)
    return readme[start:end]


def variables_the_code_reads() -> set[str]:
    names = set()
    for path in code_files():
        pattern = SHELL_READS if path.suffix == ".sh" else READS
        for match in pattern.finditer(path.read_text()):
            names.update(name for name in match.groups() if name)
    for service in SERVICES.values():
        names.add(f"{service.env_prefix}_URL")
        if service.has_database:
            names.add(f"{service.env_prefix}_DATABASE_URL")
    return names


def test_the_reader_finds_the_variables_it_should() -> None:
    assert {"DEBUG", "SECRET_KEY", "JWT_PRIVATE_KEY", "WEB_CONCURRENCY", "MIGRATE"} <= (
        variables_the_code_reads()
    )


def test_every_variable_the_code_reads_is_in_the_deploying_section() -> None:
    section = deploying_section()
    assert {name for name in variables_the_code_reads() if f"`{name}`" not in section} == set()
    # The ports are named by one pattern, as the service table derives them.
    assert "`<SERVICE>_PORT`" in section


def test_the_management_commands_it_shows_exist() -> None:
    section = deploying_section()
    shown = set(re.findall(r"manage\.py (\w+)", section))
    # Django's own and drf-spectacular's; the rest are the services' own commands.
    from_packages = {"migrate", "createsuperuser", "collectstatic", "check", "spectacular"}
    own = {path.stem for path in REPO.glob("*_svc/*/management/commands/*.py")}
    assert shown - from_packages - own == set()
