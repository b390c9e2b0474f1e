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
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"student{n}@example.org"),
        email=factory.SelfAttribute("username"),
    )
    email = factory.SelfAttribute("user.email")
    confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def accepted_notice(self, create: bool, extracted: bool | None, **kwargs) -> None:
        """The current privacy notice is accepted (``accepted_notice=False``: not yet)."""
        if create and extracted is not False:
            from django.conf import settings

            from portal.models import NoticeAcceptance

            NoticeAcceptance.objects.create(account=self, version=settings.PRIVACY_NOTICE_VERSION)


def portal_student(**student_fields):
    """A student with a confirmed account linked to their record."""
    account = AccountFactory()
    return StudentFactory(user=account.user, **student_fields)


def upload_outcome(response) -> str:
    """What the documents page says inside the item's block after an upload (the upload
    view keeps it in the session for the page it redirects to)."""
    from portal.views.my import UPLOAD_OUTCOME

    return response.wsgi_request.session[UPLOAD_OUTCOME]["text"]
