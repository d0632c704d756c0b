"""DRF's cursor pagination, with a bad cursor answered as bad input (400 on `cursor`), not 404."""

from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({self.cursor_query_param: [error.detail]}) from None
