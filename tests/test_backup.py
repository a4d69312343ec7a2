"""`manage.py backup` then `restore` into an empty database gives back the same app."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from academies.models import Academy
from kpis.models import KPIValue, Return
from plans.models import Action, ProgressUpdate

PAGES = [
    "/",
    "/kpis/?period=2023-24-autumn",
    "/kpis/2.1/",
    "/plan/",
    "/academies/penn-hall-school/",
]


def _pages(username: str) -> dict[str, str]:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    # The CSRF token in the sign-out form differs per response; nothing else may.
    return {
        url: re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get(url).content.decode()
        )
        for url in PAGES
    }


def _history() -> dict[str, list]:
    return {
        "values": list(
            KPIValue.history.order_by("history_id").values_list(
                "history_id",
                "id",
                "value",
                "history_type",
                "history_user_id",
                "history_change_reason",
            )
        ),
        "returns": list(Return.history.order_by("history_id").values_list("history_id", "status")),
        "actions": list(
            Action.history.order_by("history_id").values_list("history_id", "description")
        ),
        "updates": list(
            ProgressUpdate.objects.order_by("pk").values_list("pk", "status", "commentary")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_gives_the_same_dashboards_and_history(tmp_path):
    call_command("load_demo", verbosity=0)
    before_pages, before_history = _pages("trustee"), _history()
    path = tmp_path / "backup.json.gz"
    call_command("backup", str(path))
    assert path.stat().st_size > 10_000

    call_command("flush", interactive=False, verbosity=0)
    assert not Academy.objects.exists()
    call_command("restore", str(path))

    assert _history() == before_history
    after_pages = _pages("trustee")
    for url in PAGES:
        assert after_pages[url] == before_pages[url], url


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    call_command("load_demo", verbosity=0)
    path = tmp_path / "backup.json"
    call_command("backup", str(path))
    values = KPIValue.objects.count()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path))
    assert KPIValue.objects.count() == values


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_restores_nothing(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"model": "academies.academy", "pk": 1, "fields": {"name": "A"}}, {"mod')
    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("restore", str(path))
    assert not Academy.objects.exists()
