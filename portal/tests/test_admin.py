"""The portal's admin screens keep a fixed number of queries as rows grow."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avataq.tests.factories import StaffUserFactory
from portal.models import ClaimAttempt, Invitation, OutgoingEmail
from portal.tests.factories import AccountFactory, portal_student
from scholarships.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_rows(count: int) -> None:
    staff = StaffUserFactory()
    for _ in range(count):
        student = portal_student()
        account = student.user.portal_account
        OutgoingEmail.objects.create(
            to=account.email,
            template_code="payment_sent",
            language="en",
            subject="s",
            body="b",
            student=student,
        )
        ClaimAttempt.objects.create(
            account=AccountFactory(),
            status_no="1",
            date_of_birth=dt.date(2000, 1, 1),
            student=student,
        )
        Invitation.objects.create(
            student=StudentFactory(),
            email=f"i{student.pk}@example.org",
            token_hash=f"{student.pk:064d}",
            created_by=staff,
            expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        )


@pytest.mark.parametrize(
    "url",
    [
        "/admin/portal/outgoingemail/",
        "/admin/portal/claimattempt/",
        "/admin/portal/account/",
        "/admin/portal/invitation/",
        "/admin/portal/mailtemplate/",
    ],
)
def test_portal_changelists_do_not_grow_with_rows(admin_client, url):
    add_rows(2)
    small = queries(admin_client, url)

    add_rows(10)

    assert queries(admin_client, url) == small


# --- Staff do the portal's support work (the claim alert email links here) -------------------
@pytest.mark.parametrize(
    "url",
    [
        "/admin/portal/claimattempt/",
        "/admin/portal/outgoingemail/",
        "/admin/portal/invitation/",
        "/admin/portal/invitation/add/",
        "/admin/portal/account/",
        "/admin/portal/mailtemplate/",
    ],
)
def test_staff_open_the_portal_support_screens(client, url):
    client.force_login(StaffUserFactory(group="Staff"))

    assert client.get(url).status_code == 200


def test_staff_invite_a_student_from_the_admin(client):
    student = StudentFactory()
    client.force_login(StaffUserFactory(group="Staff"))

    response = client.post(
        "/admin/portal/invitation/add/", {"student": student.pk, "email": "new@example.org"}
    )

    assert response.status_code == 302, response.content
    assert Invitation.objects.get().student == student
    assert OutgoingEmail.objects.filter(template_code="account_invitation").exists()


def test_inviting_a_student_says_so_once(client):
    from django.contrib.messages import get_messages

    student = StudentFactory()
    client.force_login(StaffUserFactory(group="Staff"))

    response = client.post(
        "/admin/portal/invitation/add/",
        {"student": student.pk, "email": "new@example.org", "_save": "1"},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Invitation envoyée par courriel à new@example.org."
    ]


def test_the_invitation_form_is_titled_in_good_french(client):
    client.force_login(StaffUserFactory(group="Staff"))

    page = client.get("/admin/portal/invitation/add/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "<h1>Ajout d&#x27;une invitation au portail</h1>" in page
    assert "Ajout de invitation" not in page
    assert 'name="_continue"' not in page  # an invitation is never edited


@pytest.mark.parametrize("group", ["Finance", "Ops"])
def test_other_roles_do_not_see_claim_attempts(client, group):
    client.force_login(StaffUserFactory(group=group))

    assert client.get("/admin/portal/claimattempt/").status_code == 403


def test_a_counsellor_sees_the_refused_claims_of_their_own_students_only(client):
    from scholarships import services as student_services

    counsellor = StaffUserFactory(group="Counsellors")
    mine = StudentFactory(status_no="40001")
    mine.counsellor = counsellor
    student_services.student_save(student=mine, by=None)
    StudentFactory(status_no="40002")
    for status_no in ("40001", "40002"):
        ClaimAttempt.objects.create(
            account=AccountFactory(), status_no=status_no, date_of_birth=dt.date(2000, 1, 1)
        )
    client.force_login(counsellor)

    page = client.get("/admin/portal/claimattempt/").content.decode()

    assert "40001" in page and "40002" not in page


# --- dates of birth typed in claims: only to the roles that see dates of birth ---------------
def _claim_support_user(*, sees_date_of_birth: bool):
    """A staff user who handles every claim, with or without the date-of-birth permission."""
    from django.contrib.auth.models import Permission

    user = StaffUserFactory()
    codenames = ["view_claimattempt", "access_all_students"]
    if sees_date_of_birth:
        codenames.append("view_date_of_birth")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def claim_typed_with_a_birth_date():
    return ClaimAttempt.objects.create(
        account=AccountFactory(), status_no="40003", date_of_birth=dt.date(1999, 11, 23)
    )


@pytest.mark.parametrize("page", ["list", "claim"])
def test_claim_attempts_hide_the_date_of_birth_from_a_role_without_the_permission(
    client, claim_typed_with_a_birth_date, page
):
    client.force_login(_claim_support_user(sees_date_of_birth=False))
    url = "/admin/portal/claimattempt/"
    if page == "claim":
        url += f"{claim_typed_with_a_birth_date.pk}/change/"

    response = client.get(url)

    assert response.status_code == 200
    assert "40003" in response.content.decode()
    assert "1999" not in response.content.decode()


def test_claim_attempts_show_the_date_of_birth_to_a_role_with_the_permission(
    client, claim_typed_with_a_birth_date
):
    client.force_login(_claim_support_user(sees_date_of_birth=True))

    page = client.get("/admin/portal/claimattempt/").content.decode()

    assert "1999" in page
