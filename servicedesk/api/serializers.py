"""Serializers every API module shares."""

from rest_framework import serializers


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
