"""The portal's URLs: its own pages, then every record type's portal pages, which its registry
declaration names (`RecordType.portal.urls`) and which join this namespace (`portal:report`,
`portal:request`, ...). The registry is filled in the apps' ready(), before URLs are loaded."""

from django.urls import include, path

from portal import views
from servicedesk import registry

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("mine/", views.records, name="records"),
    path("records/<str:number>/", views.record, name="record"),
    path("rate/<str:number>/", views.rate, name="rate"),
    path("suggest/", views.suggest, name="suggest"),
    path("articles/<id:pk>/", views.article, name="article"),
    path("articles/<id:pk>/solved/", views.article_solved, name="article_solved"),
    path("articles/<id:pk>/vote/", views.article_vote, name="article_vote"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<id:pk>/", views.decide, name="decide_here"),
    path("approve/<str:token>/", views.decide_by_link, name="decide"),
]

urlpatterns += [
    path("", include(record_type.portal.urls))
    for record_type in registry.portal_types()
    if record_type.portal is not None and record_type.portal.urls
]
