"""The problems pages, mounted at /problems/ (filled by the issue that brings its records)."""

app_name = "problems"

urlpatterns: list = []
