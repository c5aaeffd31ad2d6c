"""Factories for test data. Every record they make is flagged synthetic."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from narratives.models import Narrative, Tag
from testimony.models import Defector, Outlet, Quote, Source


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=["Researcher"]) puts the user in those groups."""
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        self.save()


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Outlet {n}")
    kind = "newspaper"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    outlet = factory.SubFactory(OutletFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/article-{n}")
    published_on = datetime.date(2015, 3, 1)


class DefectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Defector
        django_get_or_create = ["case_id"]

    case_id = factory.Sequence(lambda n: f"TEST-{n:04d}")
    name = "anonymous defector"
    sex = "male"
    country = "SY"
    reported_on = datetime.date(2015, 3, 14)
    reported_precision = "day"
    provenance = "synthetic"


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    defector = factory.SubFactory(DefectorFactory)
    source = factory.SubFactory(SourceFactory)
    text = factory.Sequence(lambda n: f"Synthetic testimony number {n}.")
    language = "en"


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    quote = factory.SubFactory(QuoteFactory)
    narrative = factory.LazyFunction(lambda: Narrative.objects.get(code="infighting"))
