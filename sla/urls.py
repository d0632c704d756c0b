"""The service levels pages, mounted at /sla/ (filled by the issue that brings its records)."""

app_name = "sla"

urlpatterns: list = []
