package dev.runnel.app.it;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** What a downstream consumer makes of the chunks and sessions topics. */
final class Replies {
  private Replies() {}

  /** End records per request id. */
  static Map<String, List<Chunk>> ends(List<Chunk> chunks) {
    return chunks.stream()
        .filter(Chunk::getEnd)
        .collect(
            Collectors.groupingBy(Chunk::getRequestId, LinkedHashMap::new, Collectors.toList()));
  }

  /**
   * Per request with an end record: the deltas whose (attempt, callId) equal those of its last end
   * record, duplicates dropped, in sequence order, concatenated (the consumer rule in the README's
   * Topics section).
   */
  static Map<String, String> texts(List<Chunk> chunks) {
    Map<String, Map<Integer, String>> deltas = new HashMap<>();
    ofEndsCall(chunks)
        .forEach(
            c ->
                deltas
                    .computeIfAbsent(c.getRequestId(), k -> new TreeMap<>())
                    .putIfAbsent(c.getSequence(), c.getDelta()));
    Map<String, String> texts = new HashMap<>();
    deltas.forEach((id, bySeq) -> texts.put(id, String.join("", bySeq.values())));
    return texts;
  }

  /** Sequence numbers of the deltas of each request's ending call, as received. */
  static Map<String, List<Integer>> sequences(List<Chunk> chunks) {
    Map<String, List<Integer>> sequences = new HashMap<>();
    ofEndsCall(chunks)
        .forEach(
            c ->
                sequences
                    .computeIfAbsent(c.getRequestId(), k -> new ArrayList<>())
                    .add(c.getSequence()));
    return sequences;
  }

  /** The deltas, in arrival order, of the call that each request's last end record names. */
  private static List<Chunk> ofEndsCall(List<Chunk> chunks) {
    Map<String, Chunk> lastEnd = new HashMap<>();
    for (Chunk c : chunks) {
      if (c.getEnd()) {
        lastEnd.put(c.getRequestId(), c);
      }
    }
    return chunks.stream()
        .filter(c -> !c.getEnd())
        .filter(
            c -> {
              Chunk end = lastEnd.get(c.getRequestId());
              return end != null
                  && end.getAttempt() == c.getAttempt()
                  && Objects.equals(end.getCallId(), c.getCallId());
            })
        .collect(Collectors.toList());
  }

  /** Requests with at least one delta and no end record. */
  static Set<String> open(List<Chunk> chunks) {
    Set<String> ended =
        chunks.stream().filter(Chunk::getEnd).map(Chunk::getRequestId).collect(Collectors.toSet());
    return chunks.stream()
        .filter(c -> !c.getEnd())
        .map(Chunk::getRequestId)
        .filter(id -> !ended.contains(id))
        .collect(Collectors.toSet());
  }

  /** The final assistant text of each request, from the sessions' latest states. */
  static Map<String, String> finalTexts(Map<String, SessionState> latest) {
    Map<String, String> texts = new HashMap<>();
    for (SessionState state : latest.values()) {
      for (Message m : state.getMessages()) {
        if (m.getRole() == Role.ASSISTANT && m.getRequestId() != null) {
          texts.put(m.getRequestId(), m.getContent());
        }
      }
    }
    return texts;
  }

  /** The latest state of each session. */
  static Map<String, SessionState> latest(List<SessionState> states) {
    Map<String, SessionState> latest = new HashMap<>();
    for (SessionState s : states) {
      latest.merge(s.getSessionId(), s, (a, b) -> a.getVersion() >= b.getVersion() ? a : b);
    }
    return latest;
  }

  /** Per session, the versions in the order they appeared. */
  static Map<String, List<Long>> versions(List<SessionState> states) {
    return states.stream()
        .collect(
            Collectors.groupingBy(
                SessionState::getSessionId,
                Collectors.mapping(SessionState::getVersion, Collectors.toList())));
  }

  /** Per session, the request ids of its applied finals, in version order. */
  static Map<String, List<String>> appliedOrder(List<SessionState> states) {
    return states.stream()
        .sorted(Comparator.comparingLong(SessionState::getVersion))
        .collect(
            Collectors.groupingBy(
                SessionState::getSessionId,
                Collectors.mapping(SessionState::getLastRequestId, Collectors.toList())));
  }
}
