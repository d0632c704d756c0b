"""The incidents' portal pages: included in the portal's namespace (`portal:report`,
`portal:incident`, ...) by the registry's declaration (incidents/records.py), so no app_name."""

from django.urls import path

from incidents.portal import views

urlpatterns = [
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.report, name="report"),
    path("incidents/<str:number>/", views.incident, name="incident"),
    path("incidents/<str:number>/reopen/", views.reopen, name="reopen"),
    path("incidents/<str:number>/confirm/", views.confirm, name="confirm"),
]
