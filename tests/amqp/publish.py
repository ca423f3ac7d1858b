#!/usr/bin/python3
"""Publishes a JSONL file of events to RabbitMQ the way a non-.NET backend would: plain JSON bodies,
content type application/json, persistent, routing key = customerId (the worker's partitions hash it),
with publisher confirms. Usage:
    publish.py <exchange> <events.jsonl> [host] [port]
Run with Debian's /usr/bin/python3 (python3-pika)."""
import json
import sys

import pika

exchange, path = sys.argv[1], sys.argv[2]
host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
port = int(sys.argv[4]) if len(sys.argv) > 4 else 5672

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
        customer = json.loads(line).get("customerId") or ""
        channel.basic_publish(exchange=exchange, routing_key=str(customer), body=line,
                              properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
                              mandatory=True)
        count += 1
connection.close()
print(f"published {count}")
