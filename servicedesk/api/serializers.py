"""Serializers every API module shares."""

from rest_framework import serializers


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text=(
            "Field name to its messages (a list of strings); a nested field (rows of a list) maps "
            "to its rows' errors in the same form."
        ),
    )
