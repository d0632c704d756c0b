from django.urls import path

from inbound import views, watcher_views

app_name = "inbound"

urlpatterns = [
    path(
        "portal/<str:number>/watchers/",
        watcher_views.portal_watcher_add,
        name="portal_watcher_add",
    ),
    path(
        "portal/<str:number>/watchers/remove/",
        watcher_views.portal_watcher_remove,
        name="portal_watcher_remove",
    ),
    path("records/<str:number>/watchers/card/", watcher_views.panel, name="watchers_panel"),
    path("records/<str:number>/watchers/", watcher_views.watcher_add, name="watcher_add"),
    path(
        "records/<str:number>/watchers/remove/",
        watcher_views.watcher_remove,
        name="watcher_remove",
    ),
    path("<slug:name>/", views.inbound_message, name="message"),
]
