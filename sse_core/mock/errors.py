"""RequestError: a request the mock server refuses, and its OpenAI-style JSON body."""

from typing import Any, Dict, Optional

from ..errors import SSEError

__all__ = ["RequestError", "error_body"]


class RequestError(SSEError):
    """A request the mock server answers with ``status`` and an OpenAI-style error body.

    ``param`` names the offending field (e.g. ``"messages[0].role"``),
    ``code`` is a short machine-readable reason.
    """

    def __init__(
        self,
        message: str,
        *,
        param: Optional[str] = None,
        code: Optional[str] = None,
        status: int = 400,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.param = param
        self.code = code
        self.status = status
        self.type = type

    def body(self) -> Dict[str, Any]:
        """The JSON error body: ``{"error": {"message", "type", "param", "code"}}``."""
        return error_body(str(self), type=self.type, param=self.param, code=self.code)


def error_body(
    message: str, *, type: str = "invalid_request_error", param: Optional[str] = None, code: Optional[str] = None
) -> Dict[str, Any]:
    """An error in the shape the OpenAI API uses, in responses and in error events."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
