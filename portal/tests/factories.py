import factory
from django.utils import timezone

from avataq.tests.factories import UserFactory
from portal.models import Account
from scholarships.tests.factories import StudentFactory

PASSWORD = "correct horse battery staple"


class AccountFactory(factory.django.DjangoModelFactory):
    """A confirmed portal account (``confirmed_at=None`` for one still waiting)."""

    class Meta:
        model = Account

    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"student{n}@example.org"),
        email=factory.SelfAttribute("username"),
    )
    email = factory.SelfAttribute("user.email")
    confirmed_at = factory.LazyFunction(timezone.now)


def portal_student(**student_fields):
    """A student with a confirmed account linked to their record."""
    account = AccountFactory()
    return StudentFactory(user=account.user, **student_fields)


def upload_outcome(response) -> str:
    """What the documents page says inside the item's block after an upload (the upload
    view keeps it in the session for the page it redirects to)."""
    from portal.views.my import UPLOAD_OUTCOME

    return response.wsgi_request.session[UPLOAD_OUTCOME]["text"]
