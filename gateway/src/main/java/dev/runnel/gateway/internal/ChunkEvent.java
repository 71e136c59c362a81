package dev.runnel.gateway.internal;

import dev.runnel.schemas.Chunk;

/** A chunk with its place in the chunks topic, which is its server-sent event id. */
record ChunkEvent(int partition, long offset, Chunk chunk) {
  String id() {
    return partition + "-" + offset;
  }
}
