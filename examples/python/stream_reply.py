#!/usr/bin/python3
"""Follows Runnel's chunks topic for one request with Debian's python3-confluent-kafka and
python3-avro: shows the tokens as they arrive (on stderr), then prints the final text (on stdout).

    /usr/bin/python3 stream_reply.py --session alice --request-id r-1

Start it before sending the prompt: it reads from the end of the topic (it says "listening" once
it is positioned), or pass --from-beginning.
"""
import argparse
import io
import os
import sys
import time

import avro.io
import avro.schema
from confluent_kafka import Consumer, TopicPartition

HERE = os.path.dirname(os.path.abspath(__file__))
# The newest kept Chunk schema, with its named types inlined, and the first 10 bytes of a value
# written with it: C3 01, then its CRC-64-AVRO fingerprint little-endian (the README's table).
CHUNK_SCHEMA = os.path.join(
    HERE, "..", "..", "schemas", "src", "main", "resources", "schema-history",
    "dev.runnel.schemas.Chunk", "v6.avsc",
)
CHUNK_HEADER = bytes.fromhex("c3 01 fe 5c e0 df 8d fc f2 00")


def chunk_reader(path):
    with open(path, encoding="utf-8") as f:
        schema = avro.schema.parse(f.read())
    reader = avro.io.DatumReader(schema)

    def decode(value):
        if value[:10] != CHUNK_HEADER:
            raise ValueError(
                f"not a Chunk of the expected schema (header {value[:10].hex(' ')}, expected"
                f" {CHUNK_HEADER.hex(' ')}): written by another Runnel release or in"
                " schema-registry framing"
            )
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))

    return decode


def main():
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--bootstrap-servers", default="localhost:9092")
    args.add_argument("--topic", default="runnel.chunks")
    args.add_argument("--session", required=True)
    args.add_argument("--request-id", required=True)
    args.add_argument("--from-beginning", action="store_true")
    args.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the end")
    opts = args.parse_args()
    decode = chunk_reader(CHUNK_SCHEMA)

    consumer = Consumer(
        {
            "bootstrap.servers": opts.bootstrap_servers,
            "group.id": "runnel-python-example",
            "enable.auto.commit": False,
            # End records are written in transactions; an aborted one never happened.
            "isolation.level": "read_committed",
        }
    )
    metadata = consumer.list_topics(opts.topic, timeout=30)
    partitions = sorted(metadata.topics[opts.topic].partitions)
    assigned = []
    for p in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(opts.topic, p), timeout=30)
        assigned.append(TopicPartition(opts.topic, p, low if opts.from_beginning else high))
    # Explicit offsets, so nothing written after "listening" can be missed.
    consumer.assign(assigned)
    print("listening", file=sys.stderr, flush=True)

    # The consumer rule: the deltas of one model call, (attempt, callId), in sequence order; a
    # higher attempt, or the same attempt with another callId, means start over.
    shown = None
    deltas = {}
    deadline = time.monotonic() + opts.timeout
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                sys.exit(f"consumer error: {message.error()}")
            if message.key() != opts.session.encode("utf-8") or message.value() is None:
                continue
            chunk = decode(message.value())
            if chunk["requestId"] != opts.request_id:
                continue
            call = (chunk["attempt"], chunk["callId"])
            if chunk["end"]:
                text = "".join(
                    d for (c, _), d in sorted(deltas.items(), key=lambda e: e[0][1]) if c == call
                )
                print(file=sys.stderr)
                if chunk["finishReason"] not in ("STOP", "LENGTH"):
                    error = chunk["error"] or {}
                    sys.exit(f"request ended {chunk['finishReason']}: {error.get('message')}")
                print(text)
                return
            # Every call's deltas are kept: the end record names the one to rebuild from.
            deltas[(call, chunk["sequence"])] = chunk["delta"] or ""
            if shown is not None and chunk["attempt"] < shown[0]:
                continue
            if shown != call:
                if shown is not None:
                    print("\n[restarted]", file=sys.stderr)
                shown = call
            print(chunk["delta"] or "", end="", file=sys.stderr, flush=True)
        sys.exit(f"no end record for {opts.request_id} within {opts.timeout} s")
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
