"""What cannot go on: a small exception hierarchy.

Bad *data* is a value (:class:`services.records.Issue`), collected in one pass so the accountant
fixes a whole file at once. Bad *situations* are these exceptions; the docstring of each class is
its default message, and pages show them through one helper (``components.feedback.show_error``).
"""

from __future__ import annotations


class SettlebridgeError(Exception):
    """Something went wrong in Settlebridge."""

    def __init__(self, message: str | None = None, *, details: object = None) -> None:
        self.message = message or (type(self).__doc__ or "").strip().splitlines()[0]
        self.details = details
        super().__init__(self.message)


class BadInput(SettlebridgeError):
    """The input could not be read."""


class UnknownFormat(BadInput):
    """The file is not a settlement or payout report that Settlebridge recognises."""


class DuplicateSettlement(SettlebridgeError):
    """This settlement has already been imported."""


class NotFound(SettlebridgeError):
    """It was not found."""


class MappingNotFound(SettlebridgeError):
    """Mapping not found: some SKUs of this settlement are not mapped to QuickBooks items."""


class TieOutError(SettlebridgeError):
    """The documents do not add up to the settlement total."""


class ConcurrentEdit(SettlebridgeError):
    """Someone else saved changes first; reload and apply your edits again."""


class QboError(SettlebridgeError):
    """QuickBooks Online refused the request."""

    def __init__(self, message: str | None = None, *, code: str = "", detail: str = "",
                 status: int | None = None, details: object = None) -> None:
        super().__init__(message, details=details)
        self.code = code
        self.detail = detail
        self.status = status


class QboUnavailable(QboError):
    """QuickBooks Online did not answer in time; nothing was lost, try again."""


class QboAuthError(QboError):
    """QuickBooks Online refused the connection's credentials; reconnect the company."""


class PostingInProgress(SettlebridgeError):
    """Someone else is posting this settlement right now."""
