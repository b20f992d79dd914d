"""The OpenTelemetry Python SDK exporting GenAI spans and logs to a receiver (end-to-end tests).

Usage: python3 otel_sdk_export.py BASE_URL ENCODING COMPRESSION COUNT

ENCODING is `protobuf` (opentelemetry-exporter-otlp-proto-http, the SDK's default) or `json`
(opentelemetry-exporter-otlp-json-http); COMPRESSION is `gzip` or `none`. Emits COUNT spans and
COUNT log records with GenAI attributes through the SDK's batch processors, flushes them, and
prints one line per signal: `traces ok N` when every export succeeded (N spans), else
`traces failed`.
"""
import logging
import sys

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult


def exporters(encoding: str):
    if encoding == "json":
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.common.http import Compression
    else:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.proto.http import Compression
    return OTLPSpanExporter, OTLPLogExporter, Compression


def main(base: str, encoding: str, compression: str, count: int) -> None:
    span_cls, log_cls, compression_cls = exporters(encoding)
    chosen = compression_cls("gzip" if compression == "gzip" else "none")  # member names differ by package
    results = {"traces": [], "logs": []}

    class Spans(span_cls):
        def export(self, spans):
            result = super().export(spans)
            results["traces"].append((result, len(spans)))
            return result

    class Logs(log_cls):
        def export(self, batch):
            result = super().export(batch)
            results["logs"].append((result, len(batch)))
            return result

    resource = Resource.create({"service.name": "gateway-e2e"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(Spans(endpoint=f"{base}/v1/traces", compression=chosen)))
    tracer = tracer_provider.get_tracer("gen_ai.e2e")
    for i in range(count):
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:
            span.set_attribute("account.id", f"acct_{encoding}_span_{i % 3}")
            span.set_attribute("user.id", f"end_user_{i % 5}")
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.request.model", "gpt-4o-mini")
            span.set_attribute("gen_ai.response.id", f"{encoding}-{compression}-span-{i}")
            span.set_attribute("gen_ai.conversation.id", f"conv_{i % 4}")
            span.set_attribute("gen_ai.usage.input_tokens", 120 + i)
            span.set_attribute("gen_ai.usage.output_tokens", 900 + i)
            span.set_attribute("client.address", f"198.51.100.{i % 9 + 1}")
            span.set_attribute("user_agent.original", "otel-sdk-e2e/1.0")
    tracer_provider.force_flush()
    tracer_provider.shutdown()

    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(Logs(endpoint=f"{base}/v1/logs", compression=chosen)))
    handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
    log = logging.getLogger(f"gen_ai.{encoding}.{compression}")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(handler)
    for i in range(count):
        log.info(
            "Explain step by step, showing your reasoning: question %d",
            i,
            extra={
                "account.id": f"acct_{encoding}_log_{i % 2}",
                "user.id": f"end_user_{i % 5}",
                "gen_ai.response.id": f"{encoding}-{compression}-log-{i}",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 80,
                "gen_ai.usage.output_tokens": 1500,
            },
        )
    logger_provider.force_flush()
    logger_provider.shutdown()

    for signal in ("traces", "logs"):
        outcomes = results[signal]
        sent = sum(n for _, n in outcomes)
        ok = bool(outcomes) and all(r.name == "SUCCESS" for r, _ in outcomes)
        print(f"{signal} {'ok' if ok else 'failed'} {sent}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
