from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("go/", views.queue_link, name="go"),
    path("new/", views.create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("filters/", views.save_filter, name="save_filter"),
    path("filters/<id:pk>/delete/", views.delete_filter, name="delete_filter"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.edit, name="edit"),
    path("<str:number>/take/", views.take, name="take"),
    path("<str:number>/assign/", views.assign, name="assign"),
    path("<str:number>/status/", views.transition, name="transition"),
    path("<str:number>/comment/", views.comment, name="comment"),
    path("<str:number>/merge/", views.merge, name="merge"),
]
