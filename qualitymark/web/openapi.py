"""The OpenAPI description of the public JSON API, for commissioners checking suppliers in bulk."""
from __future__ import annotations

ENTRY = {
    "type": "object",
    "required": ["code", "state", "co_op", "award", "valid_from", "valid_until", "verification_url"],
    "properties": {
        "code": {"type": "string", "example": "CQM-7K3M9Q2XWD", "description": "The certificate's public code."},
        "state": {"type": "string", "enum": ["valid", "suspended", "withdrawn", "expired", "renewal_in_progress"]},
        "co_op": {"type": "string"},
        "co_op_url": {"type": "string", "format": "uri"},
        "region": {"type": "string"},
        "award": {"type": "string", "example": "Care Quality Mark"},
        "services": {"type": "array", "items": {"type": "string"}},
        "valid_from": {"type": "string", "format": "date"},
        "valid_until": {"type": "string", "format": "date"},
        "verification_url": {"type": "string", "format": "uri"},
        "credential_url": {"type": "string", "format": "uri",
                           "description": "The signed W3C Verifiable Credential (Open Badges 3.0)."},
    },
}


def document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Care Quality Mark public register API",
            "version": "1.0.0",
            "description": "Check the certification state of social-care co-operatives. Read-only, no key "
                           "needed, rate-limited. The `state` field is authoritative at the time of the request; "
                           "for proof that does not depend on this API, fetch the signed credential and verify it.",
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/register": {"get": {
                "summary": "Search certified co-ops (latest certificate of each)",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Part of the co-op's name."},
                    {"name": "region", "in": "query", "schema": {"type": "string"}},
                    {"name": "service", "in": "query", "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                ],
                "responses": {"200": {"description": "A page of up to 100 entries", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["total", "page", "page_size", "results"], "properties": {
                        "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"},
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/RegisterEntry"}}}}}}},
                    "429": {"description": "Too many requests"}},
            }},
            "/api/v1/certificates/{code}": {"get": {
                "summary": "One certificate's current state",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "The certificate", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/RegisterEntry"}}}},
                    "404": {"description": "No certificate has this code", "content": {"application/json": {
                        "schema": {"type": "object", "properties": {"error": {"type": "string"},
                                                                    "message": {"type": "string"}}}}}},
                    "429": {"description": "Too many requests"},
                },
            }},
        },
        "components": {"schemas": {"RegisterEntry": ENTRY}},
    }
