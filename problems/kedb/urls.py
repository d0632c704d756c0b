from django.urls import path

from problems.kedb import views

app_name = "kedb"

urlpatterns = [
    path("", views.search, name="search"),
    path("candidates/", views.candidates, name="candidates"),
    path("candidates/<id:pk>/", views.candidate, name="candidate"),
    path("candidates/<id:pk>/accept/", views.candidate_accept, name="candidate_accept"),
    path("candidates/<id:pk>/dismiss/", views.candidate_dismiss, name="candidate_dismiss"),
    path("<str:number>/apply/", views.apply, name="apply"),
    path("incidents/<str:number>/card/", views.incident_card, name="incident_card"),
]
