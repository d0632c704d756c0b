"""The site's URLs plus pages that fail, for the error page tests."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from servicedesk.urls import urlpatterns as site_urlpatterns


def fails(request):
    raise RuntimeError("a bug")


def suspicious(request):
    raise SuspiciousOperation("a forged request")


urlpatterns = [path("fails/", fails), path("suspicious/", suspicious), *site_urlpatterns]
