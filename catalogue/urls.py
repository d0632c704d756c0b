"""The service catalogue pages, mounted at /catalogue/ (filled by the issue that brings its records)."""

app_name = "catalogue"

urlpatterns: list = []
