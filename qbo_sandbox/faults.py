"""QBO's error answers: the ``Fault`` body, its codes and messages, and the HTTP status."""

from __future__ import annotations

from typing import Any


class QboFault(Exception):
    """A QBO Fault: answered with ``status`` and ``{"Fault": {"Error": [...], "type": ...}}``."""

    def __init__(self, code: str | int, message: str, detail: str = "", *, status: int = 400,
                 type_: str = "ValidationFault", element: str = "") -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.status = status
        self.type = type_
        self.element = element

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.type}


def not_found(entity: str, id_: str) -> QboFault:
    return QboFault(610, "Object Not Found",
                    f"Object Not Found : Something you're trying to use has been made inactive. "
                    f"Check the fields with accounts, customers, items, vendors or employees. "
                    f"({entity} Id={id_})")


def stale(entity: str, id_: str, given: object, current: str) -> QboFault:
    return QboFault(5010, "Stale Object Error",
                    f"Stale Object Error : You and another user were working on the same thing. "
                    f"{entity} Id={id_}: the SyncToken you sent ({given}) is not the current one ({current}).")


def duplicate_name(entity: str, name: str, id_: str) -> QboFault:
    what = {"Item": "product or service", "Account": "account"}.get(entity, "customer, vendor or employee")
    return QboFault(6240, "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another {what} is already using this name. "
                    f"Please use a different name. Id={id_} Name={name}")


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault(6140, "Duplicate Document Number Error",
                    f"Duplicate Document Number Error : You must specify a different number. This number "
                    f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
                    f"with TxnId={txn_id}")


def required(param: str) -> QboFault:
    return QboFault(2020, "Required param missing, need to supply the required value for the API",
                    f"Required parameter {param} is missing in the request", element=param)


def invalid(detail: str, element: str = "") -> QboFault:
    return QboFault(2050, "Invalid String", detail, element=element)


def business(detail: str) -> QboFault:
    return QboFault(6000, "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {detail}")


def unauthorized() -> QboFault:
    return QboFault(3200, "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "Authentication failed: a bearer token is required", status=401, type_="AUTHENTICATION")


def system_failure() -> QboFault:
    return QboFault(10000, "An application error has occurred while processing your request",
                    "System Failure Error: the sandbox was asked to fail this request", status=500,
                    type_="SystemFault")
