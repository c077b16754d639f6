from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured

from shop_common.local_secrets import local_secret


def test_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_TEST_SECRET", "from-env")

    value = local_secret(env_name="SHOP_TEST_SECRET", path=tmp_path / "s", debug=False)

    assert value == "from-env"
    assert not (tmp_path / "s").exists()


def test_in_local_mode_a_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOP_TEST_SECRET", raising=False)
    path = tmp_path / "secrets" / "s"

    first = local_secret(env_name="SHOP_TEST_SECRET", path=path, debug=True)
    second = local_secret(env_name="SHOP_TEST_SECRET", path=path, debug=True)

    assert first == second
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600


def test_processes_starting_at_once_agree_on_one_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOP_TEST_SECRET", raising=False)
    path = tmp_path / "s"

    with ThreadPoolExecutor(16) as pool:
        values = set(
            pool.map(
                lambda _: local_secret(env_name="SHOP_TEST_SECRET", path=path, debug=True),
                range(64),
            )
        )

    assert len(values) == 1


def test_production_refuses_to_start_without_the_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOP_TEST_SECRET", raising=False)

    with pytest.raises(ImproperlyConfigured, match="SHOP_TEST_SECRET must be set"):
        local_secret(env_name="SHOP_TEST_SECRET", path=tmp_path / "s", debug=False)
