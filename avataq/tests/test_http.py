"""The client's address, with and without trusted proxies in front."""

import pytest
from django.test import RequestFactory

from avataq.http import client_ip

PROXY = "172.18.0.5"


def request(forwarded_for: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=PROXY, **extra)


def test_with_no_trusted_proxy_the_address_is_the_connections(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request("203.0.113.9")) == PROXY


def test_behind_one_proxy_the_address_is_the_one_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request("203.0.113.9")) == "203.0.113.9"


def test_an_address_the_client_forged_in_the_header_is_never_read(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request("6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_second_entry_from_the_right_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(request("6.6.6.6, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


@pytest.mark.parametrize("header", [None, "", " , "])
def test_a_missing_header_falls_back_to_the_connection(settings, header):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request(header)) == PROXY


# --- what browsers and proxies may keep ----------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/finance/", "Finance"),
        ("/documents/", "Staff"),
        ("/admin/", "Staff"),
        ("/finance/reports/", "Finance"),
    ],
)
def test_private_pages_say_no_store(client, path, group):
    from avataq.tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory(group=group))

    response = client.get(path)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_login_redirect_of_a_private_page_is_not_stored_either(client):
    response = client.get("/finance/")

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_any_page_seen_signed_in_is_not_stored(client):
    from portal.tests.factories import portal_student

    client.force_login(portal_student().user)

    assert "no-store" in client.get("/faq/")["Cache-Control"]


@pytest.mark.django_db
def test_a_public_page_seen_anonymously_may_be_cached(client):
    response = client.get("/faq/")

    assert "no-store" not in response.get("Cache-Control", "")
