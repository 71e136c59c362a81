#!/usr/bin/python3
"""Writes one prompt to Runnel's prompts topic as JSON, with Debian's python3-confluent-kafka.

    /usr/bin/python3 send_prompt.py --session alice --request-id r-1 "Hello, Kafka"
"""
import argparse
import json
import sys

from confluent_kafka import Producer


def main():
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("text", help="the prompt")
    args.add_argument("--bootstrap-servers", default="localhost:9092")
    args.add_argument("--topic", default="runnel.prompts")
    args.add_argument("--session", required=True, help="session id: the record key")
    args.add_argument("--request-id", help="idempotency key; Runnel derives one when absent")
    args.add_argument("--model", help="model to use; Runnel's default when absent")
    opts = args.parse_args()

    producer = Producer(
        {
            "bootstrap.servers": opts.bootstrap_servers,
            "enable.idempotence": True,
            # librdkafka places keys by CRC32 by default, Java clients (and so Runnel's chunks and
            # sessions) by murmur2: this keeps a session's prompts in the partition Runnel uses.
            "partitioner": "murmur2_random",
        }
    )
    # The JSON shape is the Prompt record's fields; null or absent optional fields take defaults.
    prompt = {"content": opts.text, "requestId": opts.request_id, "model": opts.model}
    delivered = []
    producer.produce(
        opts.topic,
        key=opts.session.encode("utf-8"),
        value=json.dumps(prompt).encode("utf-8"),
        on_delivery=lambda error, message: delivered.append((error, message)),
    )
    producer.flush(30)
    if not delivered:
        sys.exit("the prompt was not delivered within 30 s")
    error, message = delivered[0]
    if error is not None:
        sys.exit(f"the prompt was not delivered: {error}")
    print(f"sent to {message.topic()}-{message.partition()}@{message.offset()}", file=sys.stderr)


if __name__ == "__main__":
    main()
