"""Name the shape of JSON blobs in the OpenAPI schema, which is the API contract.

The frontend's TypeScript types are generated from ``/api/schema/``
(``make api-types``), so a JSON column or a ``SerializerMethodField`` that the
schema calls "any object" reaches the browser code as ``unknown``. The shapes
are written once, as ``TypedDict`` classes next to the serializer that sends
them, and attached here without changing what is serialized:

- :func:`json_shape` turns a ``TypedDict`` (or ``list[...]`` of one) into a
  schema; ``open_keys=True`` says the object may carry more keys than those
  listed (metrics, configs written by several versions of the worker);
- :func:`typed_json` is a ``JSONField`` documented by such a shape;
- :func:`returns` decorates a ``get_<field>`` method the same way.

A ``name`` makes the shape a named component (``components["schemas"][name]``
in TypeScript) instead of an inline type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.plumbing import resolve_type_hint
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

F = TypeVar("F", bound=Callable[..., Any])
# One field class per named shape: drf-spectacular tells components apart by the class.
_NAMED_FIELDS: dict[str, type[serializers.JSONField]] = {}


def json_shape(hint: Any, *, open_keys: bool = False) -> dict[str, Any]:
    """OpenAPI schema of a ``TypedDict`` / typing hint, optionally open to extra keys."""
    schema = _array_bounds_as_items(resolve_type_hint(hint))
    if open_keys:
        schema["additionalProperties"] = True
    return schema


def _array_bounds_as_items(schema: Any) -> Any:
    """drf-spectacular bounds a ``tuple[...]`` hint with minLength/maxLength, which OpenAPI
    means for strings; minItems/maxItems make a node pair ``[number, number]``."""
    if isinstance(schema, list):
        return [_array_bounds_as_items(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    fixed = {key: _array_bounds_as_items(value) for key, value in schema.items()}
    if fixed.get("type") == "array":
        for old, new in (("minLength", "minItems"), ("maxLength", "maxItems")):
            if old in fixed:
                fixed[new] = fixed.pop(old)
    return fixed


def typed_json(
    hint: Any, *, name: str | None = None, open_keys: bool = False, **kwargs: Any
) -> serializers.JSONField:
    """A ``JSONField`` (same output as DRF's) whose schema is ``hint``; ``allow_null``
    and the like are the field's, so a named shape stays non-null."""
    return _field_class(hint, name, open_keys)(**kwargs)


def returns(hint: Any, *, name: str | None = None, open_keys: bool = False) -> Callable[[F], F]:
    """Document what a ``get_<field>`` method of a ``SerializerMethodField`` returns."""
    return extend_schema_field(_field_class(hint, name, open_keys))


def _field_class(hint: Any, name: str | None, open_keys: bool) -> type[serializers.JSONField]:
    field_class = _NAMED_FIELDS.get(name) if name else None
    if field_class is None:
        field_class = type(f"{name or 'Typed'}JSONField", (serializers.JSONField,), {})
        schema = json_shape(hint, open_keys=open_keys)
        field_class = extend_schema_field(schema, component_name=name)(field_class)
        if name:
            _NAMED_FIELDS[name] = field_class
    return field_class


def require_sent_fields(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Schema hook: in a response, a field DRF always writes is required, not optional.

    drf-spectacular marks a response field optional when it has a default or
    ``required=False``, yet DRF writes the default for a missing key and every
    field of a model instance; optional should mean "may be absent", as it does
    for a plain serializer's ``required=False`` field fed a dict without that key.
    Request components (``...Request``) keep their optional fields.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():
        schema = schemas.get(component.name)
        serializer = component.object
        if schema is None or component.name.endswith("Request"):
            continue
        if not isinstance(serializer, serializers.Serializer):
            continue
        sent = [
            name
            for name, field in serializer.fields.items()
            if name in schema.get("properties", {}) and _always_sent(serializer, field)
        ]
        if sent:
            schema["required"] = sorted({*schema.get("required", []), *sent})
    return result


def _always_sent(serializer: serializers.Serializer, field: serializers.Field) -> bool:
    if field.write_only:
        return False
    has_default = field.default is not serializers.empty
    return field.required or has_default or isinstance(serializer, serializers.ModelSerializer)
