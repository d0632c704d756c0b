"""The agent workspace's change pages, mounted at /changes/."""

from django.urls import path

from changes import views

app_name = "changes"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("new/standard/", views.from_template, name="from_template"),
    path("cab/", views.cab_agenda, name="cab_agenda"),
    path("calendar/", views.calendar, name="calendar"),
    path("kpis/", views.kpis, name="kpis"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/action/", views.action, name="action"),
    path("<str:number>/close/", views.close, name="close"),
    path("<str:number>/assign/", views.assign, name="assign"),
    path("<str:number>/risk/", views.risk, name="risk"),
    path("<str:number>/review/", views.review, name="review"),
    path("<str:number>/decide/", views.decide, name="decide"),
    path("<str:number>/cis/", views.ci_add, name="ci_add"),
    path("<str:number>/cis/<int:pk>/remove/", views.ci_remove, name="ci_remove"),
]
