from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from accounts.roles import USE_PORTAL
from portal.selectors import service_desk_contact


@login_required
@permission_required(USE_PORTAL, raise_exception=True)
def home(request):
    """The end user's start page: who they are to us and how to reach the service desk."""
    return render(request, "portal/home.html", {"desk": service_desk_contact()})
