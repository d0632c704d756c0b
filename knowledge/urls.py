from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list_view, name="list"),
    path("new/", views.article_create_view, name="create"),
    path("preview/", views.article_preview_view, name="preview"),
    path("kpis/", views.kpis_view, name="kpis"),
    path("<id:pk>/", views.article_detail_view, name="detail"),
    path("<id:pk>/edit/", views.article_edit_view, name="edit"),
    path("<id:pk>/transition/", views.article_transition_view, name="transition"),
    path("<id:pk>/files/", views.article_attach_view, name="attach"),
    path("<id:pk>/diff/", views.article_diff_view, name="diff"),
]
