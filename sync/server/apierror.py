"""The error answer of the API: ``{"error": {"code", "message"}}`` with an HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    """Raised by handlers; the app turns it into a JSON error answer."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


def forbidden(code: str, message: str) -> ApiError:
    return ApiError(403, code, message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)
