from django.urls import path

from inbound import views

app_name = "inbound"

urlpatterns = [
    path("<slug:name>/", views.inbound_message, name="message"),
]
