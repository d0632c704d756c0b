"""The agent workspace's request pages, mounted at /catalogue/."""

from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<str:number>/", views.task, name="task"),
    path("tasks/<str:number>/action/", views.task_action, name="task_action"),
    path("tasks/<str:number>/assign/", views.task_assign, name="task_assign"),
    path("records/<str:number>/tasks/new/", views.task_add, name="task_add"),
    path("records/<str:number>/tasks/card/", views.tasks_card, name="tasks_card"),
    path("requests/", views.requests, name="requests"),
    path("requests/<str:number>/", views.request_detail, name="request"),
    path("requests/<str:number>/close/", views.request_close, name="request_close"),
]
