from django.urls import path

from replies import views

app_name = "replies"

urlpatterns = [
    path("responses/", views.responses, name="responses"),
    path("responses/<int:pk>/", views.response_edit, name="response_edit"),
    path("responses/<int:pk>/delete/", views.response_delete, name="response_delete"),
    path("macros/", views.macros, name="macros"),
    path("macros/<int:pk>/", views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", views.macro_delete, name="macro_delete"),
    path("records/<str:number>/responses/", views.rendered, name="rendered"),
    path("records/<str:number>/panel/", views.panel, name="panel"),
    path("records/<str:number>/tags/", views.tag, name="tag"),
    path("records/<str:number>/tags/remove/", views.untag, name="untag"),
    path("records/<str:number>/macro/", views.apply, name="apply"),
    path("bulk/<str:key>/", views.bulk, name="bulk"),
]
