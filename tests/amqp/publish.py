#!/usr/bin/python3
"""Publishes a JSONL file of events to RabbitMQ the way a non-.NET backend would: plain JSON bodies,
content type application/json, persistent, routing key = customerId (the worker's partitions hash it),
with publisher confirms. Usage:
    publish.py [--paced] <exchange> <events.jsonl> [host] [port]
--paced: each event is published when its occurredAt comes, as a live backend publishes what just happened (the
worker refuses events dated far ahead of its clock and never runs a wait early because of one).
Run with Debian's /usr/bin/python3 (python3-pika)."""
import datetime
import json
import sys
import time

import pika

arguments = [a for a in sys.argv[1:] if a != "--paced"]
paced = "--paced" in sys.argv[1:]
exchange, path = arguments[0], arguments[1]
host = arguments[2] if len(arguments) > 2 else "127.0.0.1"
port = int(arguments[3]) if len(arguments) > 3 else 5672

connection = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=port))
channel = connection.channel()
channel.confirm_delivery()
count = 0
with open(path, "rb") as events:
    for line in events:
        line = line.strip()
        if not line:
            continue
        # Raises if the broker does not confirm: the caller sees the failure.
        event = json.loads(line)
        customer = event.get("customerId") or ""
        if paced and event.get("occurredAt"):
            at = datetime.datetime.fromisoformat(event["occurredAt"].replace("Z", "+00:00"))
            delay = (at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            if delay > 0:
                # The connection must keep answering heartbeats while it waits.
                connection.sleep(delay)
        channel.basic_publish(exchange=exchange, routing_key=str(customer), body=line,
                              properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
                              mandatory=True)
        count += 1
connection.close()
print(f"published {count}")
