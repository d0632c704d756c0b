"""The incidents pages, mounted at /incidents/ (filled by the issue that brings its records)."""

app_name = "incidents"

urlpatterns: list = []
