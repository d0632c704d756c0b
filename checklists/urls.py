"""The checklist actions on any record page, mounted at /checklists/."""

from django.urls import path

from checklists import views

app_name = "checklists"

urlpatterns = [
    path("<str:number>/card/", views.card, name="card"),
    path("<str:number>/add/", views.checklist_add, name="add"),
    path("<str:number>/items/<int:item_id>/tick/", views.item_tick, name="tick"),
]
