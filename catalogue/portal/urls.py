"""The catalogue's portal pages: included in the portal's namespace (`portal:catalogue`,
`portal:request`, ...) by the registry's declaration (catalogue/records.py), so no app_name."""

from django.urls import path

from catalogue.portal import views

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<id:pk>/", views.service, name="service"),
    path("order/<id:pk>/", views.order, name="order"),
    path("requests/<str:number>/", views.request_detail, name="request"),
    path("requests/<str:number>/cancel/", views.request_cancel, name="request_cancel"),
]
