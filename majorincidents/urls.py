from django.urls import path

from majorincidents import views

app_name = "majorincidents"

urlpatterns = [
    path("major-incidents/", views.major_list, name="list"),
    path("major-incidents/<str:number>/", views.room, name="room"),
    path("major-incidents/<str:number>/plan/", views.plan_save, name="plan"),
    path("major-incidents/<str:number>/updates/", views.update_post, name="update"),
    path("major-incidents/<str:number>/children/", views.child_add, name="child"),
    path("status/", views.overview, name="overview"),
    path("status/<id:pk>/", views.service_page, name="page"),
    path("status/<id:pk>/follow/", views.subscribe, name="subscribe"),
    path("public/status/<id:pk>/", views.public_page, name="public"),
    path("public/status/<id:pk>/subscribe/", views.public_subscribe, name="public_subscribe"),
    path("public/status/confirm/<str:token>/", views.confirm, name="confirm"),
    path("public/status/stop/<str:token>/", views.cancel, name="cancel"),
]
