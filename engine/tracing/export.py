"""Writing planned traces to MLflow in one go: all their spans in one `log_spans` call.

MLflow's live-span API (`start_span_no_context`) runs every span through OpenTelemetry,
MLflow's span processor and a span batcher that logs five spans per database transaction;
measured here that cost ~6 ms per step of a 100-step run. The run has already happened,
so the spans are built as finished `Span` entities with the times the run really had, and
MLflow's store derives each trace's info (state, timing, previews, token and cost roll-ups,
tags, session, user) from them (`export_many`).
"""

from __future__ import annotations

import json
import random
from typing import Any

from .plan import SpanPlan, TracePlan


def export(plan: TracePlan, experiment_id: str, tracking_uri: str, *,
           metadata: dict[str, str] | None = None) -> str:
    """Write `plan` as one trace in `experiment_id`; return the trace id."""
    return export_many([(plan, metadata or {})], experiment_id, tracking_uri)[0]


def export_many(items: list[tuple[TracePlan, dict[str, str]]], experiment_id: str, tracking_uri: str) -> list[str]:
    """Write several traces with one `log_spans` call (one database session); return their ids.

    MLflow's store creates each trace's info from its spans: timing and state from the root
    span, previews from its inputs and outputs, token usage and cost rolled up over the tree,
    tags from the root's `mlflow.traceTag.*` attributes, session and user from `session.id`
    and `user.id`. Measured here, a separate `start_trace` per trace cost more than the spans
    themselves (9 ms against 7 ms for a two-span trace), and one call per 50 traces brings
    the whole write to about 1.5 ms a trace.
    """
    from mlflow.tracing.client import TracingClient

    spans: list[Any] = []
    trace_ids: list[str] = []
    for plan, metadata in items:
        otel_trace_id = random.getrandbits(128)
        trace_id = f"tr-{otel_trace_id:032x}"
        span_ids = {key: random.getrandbits(64) or 1 for key in plan.spans}
        root = {"key": plan.root.key, "attributes": _trace_attributes(plan, metadata)}
        spans.extend(_span(trace_id, otel_trace_id, span_ids, span, root) for span in plan.spans.values())
        trace_ids.append(trace_id)
    if spans:
        TracingClient(tracking_uri).log_spans(experiment_id, spans)
    return trace_ids


def _trace_attributes(plan: TracePlan, metadata: dict[str, str]) -> dict[str, Any]:
    """What the root span carries for the trace as a whole (see `export_many`)."""
    from mlflow.tracing.constant import SpanAttributeKey, TraceMetadataKey, TraceTagKey

    attributes: dict[str, Any] = {}
    tags = {**plan.tags, TraceTagKey.TRACE_NAME: plan.root.name}
    for key, value in metadata.items():
        if key == TraceMetadataKey.TRACE_SESSION:
            attributes[SpanAttributeKey.SESSION_ID] = value
        elif key == TraceMetadataKey.TRACE_USER:
            attributes["user.id"] = value
        else:
            tags[key] = value
    for key, value in tags.items():
        attributes[f"{SpanAttributeKey.TRACE_TAG_PREFIX}{key}"] = value
    return attributes


def _span(trace_id: str, otel_trace_id: int, span_ids: dict[str, int], node: SpanPlan,
          root: dict[str, Any] | None = None) -> Any:
    from mlflow.entities import Span, SpanStatusCode
    from mlflow.tracing.constant import SpanAttributeKey

    extra = root["attributes"] if root is not None and node.key == root["key"] else {}
    attributes = {key: json.dumps(value, default=str) for key, value in {**node.attributes, **extra}.items()}
    attributes[SpanAttributeKey.REQUEST_ID] = json.dumps(trace_id)
    attributes[SpanAttributeKey.SPAN_TYPE] = json.dumps(node.span_type)
    if node.inputs is not None:
        attributes[SpanAttributeKey.INPUTS] = json.dumps(node.inputs, default=str)
    if node.outputs is not None:
        attributes[SpanAttributeKey.OUTPUTS] = json.dumps(node.outputs, default=str)
    events = [{"name": name, "time_unix_nano": stamp,
               "attributes": {k: v for k, v in values.items() if v is not None}}
              for name, stamp, values in node.events]
    status, message = SpanStatusCode.OK, ""
    if node.error is not None:
        status, message = SpanStatusCode.ERROR, str(node.error.get("message", "failed"))
        events.append({"name": "exception", "time_unix_nano": node.end_ns, "attributes": {
            "exception.type": str(node.error.get("type", "error")), "exception.message": message}})
    return Span.from_dict({
        "trace_id": _b64(otel_trace_id, 16),
        "span_id": _b64(span_ids[node.key], 8),
        "parent_span_id": _b64(span_ids[node.parent], 8) if node.parent is not None else None,
        "name": node.name,
        "start_time_unix_nano": node.start_ns,
        "end_time_unix_nano": node.end_ns,
        "events": events,
        "status": {"code": status.to_otel_proto_status_code_name(), "message": message},
        "attributes": attributes,
    })


def _b64(value: int, size: int) -> str:
    """An OpenTelemetry id as `Span.from_dict` reads it: big-endian bytes, base64."""
    import base64

    return base64.b64encode(value.to_bytes(size, "big")).decode()
