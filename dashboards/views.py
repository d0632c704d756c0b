from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from accounts.roles import VIEW_DASHBOARDS
from accounts.selectors import organisations_with_people, people_per_role, support_group_overview


@login_required
@permission_required(VIEW_DASHBOARDS, raise_exception=True)
def home(request):
    """The managers' start page: the teams, their staffing and the customers served."""
    return render(
        request,
        "dashboards/home.html",
        {
            "groups": support_group_overview(),
            "roles": people_per_role(),
            "organisations": organisations_with_people(),
        },
    )
