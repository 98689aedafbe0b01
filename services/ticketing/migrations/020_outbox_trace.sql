-- The W3C traceparent of the request that recorded the event (null when tracing is off):
-- the relay sends it as the Kafka message's `traceparent` header, so the consumers' spans
-- join the trace of the kiosk or counter request that caused the event.
ALTER TABLE outbox ADD COLUMN traceparent text;
