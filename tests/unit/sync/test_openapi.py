"""The published OpenAPI document is complete and internally consistent."""

from __future__ import annotations

from typing import Any

from sync.server.openapi import document

KIOSK_PATHS = {
    "/v1/register",
    "/v1/feed",
    "/v1/push",
    "/v1/status",
    "/v1/whoami",
    "/v1/server-key",
    "/v1/audit/heads",
}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_document_covers_the_api_and_every_reference_resolves() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.")
    assert KIOSK_PATHS | {"/healthz", "/readyz", "/admin/v1/feed"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("responses"), f"{method} {path} documents no answer"
            assert operation.get("summary") or operation.get("description"), f"{method} {path}"


def test_security_schemes_are_declared_where_used() -> None:
    spec = document()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["kioskSignature"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Gerbang-Signature",
        "description": schemes["kioskSignature"]["description"],
    }
    assert schemes["adminToken"]["scheme"] == "bearer"
    feed = spec["paths"]["/v1/feed"]["get"]
    assert feed["security"] == [{"kioskSignature": []}]
    assert (
        "items" in feed["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    )
    push = spec["paths"]["/v1/push"]["post"]
    assert push["requestBody"]["content"]["application/json"]["schema"]["required"] == ["items"]
    assert spec["paths"]["/admin/v1/feed"]["post"]["security"] == [{"adminToken": []}]


def test_every_operation_but_health_declares_how_it_is_authenticated() -> None:
    spec = document()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path in {"/healthz", "/readyz"}:
                assert "security" not in operation
            elif path.startswith("/v1/"):  # /v1/register: signed by the key it registers
                assert operation["security"] == [{"kioskSignature": []}], (method, path)
            else:
                assert operation["security"] == [{"adminToken": []}], (method, path)
    push = spec["paths"]["/v1/push"]["post"]["requestBody"]["content"]["application/json"]
    assert push["schema"]["additionalProperties"] is False
    register = spec["paths"]["/v1/register"]["post"]["requestBody"]["content"]["application/json"]
    assert register["schema"]["additionalProperties"] is False
    assert set(register["schema"]["required"]) == {"code", "kiosk_id", "office_id", "public_key"}
