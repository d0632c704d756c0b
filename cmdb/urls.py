"""The configuration management pages, mounted at /cmdb/ (filled by the issue that brings its records)."""

app_name = "cmdb"

urlpatterns: list = []
