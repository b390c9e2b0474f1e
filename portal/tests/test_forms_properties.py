"""Every portal form, given any text in any field (NUL, other control characters, any
script, blanks, very long strings), answers without a server error, and stores nothing
when it refuses the request."""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from avataq.tests.factories import StaffUserFactory
from portal.forms import ClaimForm
from portal.models import Account, ClaimAttempt
from portal.services import accounts
from portal.services.accounts import confirmation_token
from portal.tests.factories import PASSWORD, AccountFactory
from scholarships.models import Student
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

fuzz = hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written to the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Form data is text without lone surrogates (a browser cannot send them); st.text()
# gives everything else, NUL included.
LONG = st.builds(
    lambda text, n: (text * n)[:100_000],
    st.text(min_size=1, max_size=3),
    st.integers(1_000, 100_000),
)
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\t\n\r",
        "\u00a0",
        "\u200b",
        "\ufeff",
        "é" * 151,
        "\U0001d552@example.org",
        "<script>",
        "%s %(x)s {{ x }}",
    ]
)


def text_or(*plausible: str) -> st.SearchStrategy[str]:
    """Any text, or one of the values that take a request past the form to the service."""
    choices = [st.text(), LONG, ODD]
    if plausible:
        choices.append(st.sampled_from(plausible))
    return st.one_of(choices)


def stored() -> tuple[int, int, int]:
    return User.objects.count(), Account.objects.count(), ClaimAttempt.objects.count()


def post(path: str, data: dict[str, str], client: Client | None = None):
    """A POST, then the work it queued for after the commit (a task, in production)."""
    with TestCase.captureOnCommitCallbacks() as callbacks:
        response = (client or Client()).post(path, data, REMOTE_ADDR="10.0.0.1")
    for callback in callbacks:
        callback()
    return response


@pytest.fixture(autouse=True)
def _no_lockout(settings):
    # Every example fails to sign in from one address: keep django-axes from answering
    # for the forms after the tenth.
    settings.AXES_FAILURE_LIMIT = 1_000_000


@pytest.fixture
def unconfirmed(db):
    """An account whose email is not confirmed, with ``PASSWORD``."""
    return AccountFactory(user__username="annie@example.org", confirmed_at=None)


@pytest.fixture
def confirmed(db):
    """An account whose email is confirmed, with ``PASSWORD``."""
    return AccountFactory(user__username="lucassie@example.org")


@fuzz
@given(
    email=text_or("annie@example.org", "ANNIE@example.org"),
    password1=text_or(PASSWORD),
    password2=text_or(PASSWORD),
)
def test_signup_never_fails_and_stores_nothing_when_it_refuses(email, password1, password2):
    before = stored()

    response = post(
        reverse("portal:signup"), {"email": email, "password1": password1, "password2": password2}
    )

    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert stored() == before


@fuzz
@given(
    username=text_or("annie@example.org", "ANNIE@example.org", "lucassie@example.org"),
    password=text_or(PASSWORD),
    remember=text_or("on"),
    next_url=text_or("/my/", "https://evil.example.org/"),
)
@example(username="annie@example.org", password=PASSWORD, remember="on", next_url="/my/")
def test_login_never_fails_and_never_signs_in_an_unconfirmed_account(
    unconfirmed, confirmed, username, password, remember, next_url
):
    before, client = stored(), Client()

    response = post(
        reverse("portal:login"),
        {"username": username, "password": password, "remember": remember, "next": next_url},
        client,
    )

    assert response.status_code in {200, 302}
    assert stored() == before
    assert client.session.get("_auth_user_id") in {None, str(confirmed.user_id)}
    if response.status_code == 302:
        assert not response.url.startswith("https://evil")


@fuzz
@given(password=text_or())
def test_the_confirmation_page_never_fails_and_confirms_nothing_without_the_password(
    unconfirmed, password
):
    client = Client()

    response = post(
        reverse("portal:confirm", args=[confirmation_token(unconfirmed)]),
        {"password": password},
        client,
    )

    unconfirmed.refresh_from_db()
    assert response.status_code == 200
    assert not unconfirmed.is_confirmed and "_auth_user_id" not in client.session


@fuzz
@given(token=text_or("x" * 300, "eyJhIjoxfQ:1tZ:abc"), password=text_or(PASSWORD))
def test_a_confirmation_link_with_any_token_never_fails_and_confirms_nothing(
    unconfirmed, token, password
):
    path = f"/account/confirm/{quote(token, safe='')}/"

    opened = Client().get(path)
    sent = post(path, {"password": password})

    unconfirmed.refresh_from_db()
    assert opened.status_code in {400, 404} and sent.status_code in {400, 404}
    assert not unconfirmed.is_confirmed


@fuzz
@given(
    status_no=text_or("12345", " 12345 ", "1" * 25),
    date_of_birth=text_or("2004-03-14", "2004-02-30", "14/03/2004"),
)
def test_a_claim_never_fails_and_a_refused_form_stores_no_attempt(
    client, confirmed, status_no, date_of_birth
):
    client.force_login(confirmed.user)
    data = {"status_no": status_no, "date_of_birth": date_of_birth}
    before = stored()

    response = post(reverse("portal:claim"), data, client)

    assert response.status_code == 200  # nothing matches: the neutral refusal at best
    if not ClaimForm(data).is_valid():
        assert stored() == before


@fuzz
@given(email=text_or("lucassie@example.org", "Lucassie@Example.org", "nobody@example.org"))
def test_a_password_reset_never_fails_and_stores_no_account(confirmed, email):
    before = stored()

    response = post(reverse("portal:password_reset"), {"email": email})

    assert response.status_code in {200, 302}
    assert stored() == before


@fuzz
@given(email=text_or("annie@example.org", "nobody@example.org"))
def test_asking_for_a_confirmation_link_never_fails_and_stores_no_account(unconfirmed, email):
    before = stored()

    response = post(reverse("portal:unconfirmed"), {"email": email})

    assert response.status_code in {200, 302}
    assert stored() == before


@fuzz
@given(password1=text_or(PASSWORD), password2=text_or(PASSWORD))
def test_accepting_an_invitation_never_fails_and_creates_nothing_when_refused(password1, password2):
    student = StudentFactory()
    invitation, url = accounts.invitation_create(
        student=student, email=f"student{student.pk}@example.org", by=StaffUserFactory()
    )
    before = stored()

    response = post(url.split("8000", 1)[-1], {"password1": password1, "password2": password2})

    invitation.refresh_from_db()
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert stored() == before and invitation.used_at is None


@fuzz
@given(language=text_or("fr", "en", "FR"), next_url=text_or("/my/", "//evil.example.org/"))
def test_switching_language_never_fails_and_stores_only_a_known_language(
    student_client, student, language, next_url
):
    Student.objects.filter(pk=student.pk).update(language="en")

    response = post(
        reverse("portal:language"), {"language": language, "next": next_url}, student_client
    )

    student.refresh_from_db()
    assert response.status_code == 302
    assert not response.url.startswith(("//", "http"))  # never off the site
    assert student.language in {"en", "fr"}
    if language != "fr":
        assert student.language == "en"
