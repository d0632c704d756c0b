from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<id:pk>/", views.service, name="service"),
    path("order/<id:pk>/", views.order, name="order"),
    path("mine/", views.records, name="records"),
    path("requests/<str:number>/", views.request_detail, name="request"),
    path("requests/<str:number>/cancel/", views.request_cancel, name="request_cancel"),
    path("rate/<str:number>/", views.rate, name="rate"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.report, name="report"),
    path("incidents/<str:number>/", views.incident, name="incident"),
    path("incidents/<str:number>/reopen/", views.reopen, name="reopen"),
    path("incidents/<str:number>/confirm/", views.confirm, name="confirm"),
    path("suggest/", views.suggest, name="suggest"),
    path("articles/<id:pk>/", views.article, name="article"),
    path("articles/<id:pk>/solved/", views.article_solved, name="article_solved"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<id:pk>/", views.decide, name="decide_here"),
    path("approve/<str:token>/", views.decide_by_link, name="decide"),
]
