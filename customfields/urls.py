from django.urls import path

from customfields import views

app_name = "customfields"

urlpatterns = [
    path("<str:number>/", views.edit, name="edit"),
]
